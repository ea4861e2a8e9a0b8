// Writing a function's output. Most of a large output is items that leave exactly
// as they came: those parts are ranges of the input, and when the input is
// ASCII (string offsets are byte offsets) they go out as the input's own bytes,
// with no string built and nothing encoded again (16 MB of pass-through).

/** A range of the text kmsecret-fn read, written out as it came. */
export interface InputRange {
  readonly input: string;
  readonly from: number;
  /** Moved on by pushPart when the next range continues this one. */
  to: number;
}

/** A part of the output: new text, or a range of the input. */
export type OutputPart = string | InputRange;

/** The input as read: its text, and its bytes when every byte is ASCII. */
export interface InputText {
  readonly text: string;
  readonly asciiBytes?: Uint8Array;
}

export function partText(part: OutputPart): string {
  return typeof part === 'string' ? part : part.input.slice(part.from, part.to);
}

export function partsText(parts: readonly OutputPart[]): string {
  return parts.map(partText).join('');
}

/** Appends `part`, joining a range that continues the previous part's range into one
 *  (a list of 70,000 untouched items is one range, not 70,000). */
export function pushPart(parts: OutputPart[], part: OutputPart): void {
  if (typeof part === 'string') parts.push(part);
  else pushRange(parts, part.input, part.from, part.to);
}

/** pushPart for a range given by its ends: no object for a range that continues the last. */
export function pushRange(parts: OutputPart[], input: string, from: number, to: number): void {
  const last = parts[parts.length - 1];
  if (last !== undefined && typeof last !== 'string' && last.input === input && last.to === from) last.to = to;
  else parts.push({ input, from, to });
}

/** Writes the parts in order: ranges of an ASCII input as its own bytes, new text batched
 *  into writes of about a megabyte (no 100 MB string). */
export function writeParts(parts: readonly OutputPart[], input: InputText | undefined, write: (chunk: string | Uint8Array) => void): void {
  let batch: string[] = [];
  let size = 0;
  const flushText = () => {
    if (batch.length > 0) write(batch.join(''));
    batch = [];
    size = 0;
  };
  for (const part of parts) {
    if (typeof part !== 'string' && input?.asciiBytes && part.input === input.text) {
      flushText();
      write(input.asciiBytes.subarray(part.from, part.to));
      continue;
    }
    const text = partText(part);
    batch.push(text);
    size += text.length;
    if (size >= 1 << 20) flushText();
  }
  flushText();
}
