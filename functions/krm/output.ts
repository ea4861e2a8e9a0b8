// Writing a function's output. Most of a large output is items that leave exactly
// as they came: those parts are slices of the input, and when the input is
// ASCII (string offsets are byte offsets) they go out as the input's own bytes,
// with no string built and nothing encoded again (16 MB of pass-through).

/** A part of the output: new text, or a slice of the input at `from` (its text kept for
 *  writers that have no input bytes). */
export type OutputPart = string | { readonly text: string; readonly from: number };

/** The input as read: its text, and its bytes when every byte is ASCII. */
export interface InputText {
  readonly text: string;
  readonly asciiBytes?: Uint8Array;
}

export function partsText(parts: readonly OutputPart[]): string {
  return parts.map((p) => (typeof p === 'string' ? p : p.text)).join('');
}

/** Writes the parts in order: runs of adjacent input slices as one piece of the input's
 *  bytes, new text batched into writes of about a megabyte (no 100 MB string). */
export function writeParts(parts: readonly OutputPart[], input: InputText | undefined, write: (chunk: string | Uint8Array) => void): void {
  let batch: string[] = [];
  let size = 0;
  const flushText = () => {
    if (batch.length > 0) write(batch.join(''));
    batch = [];
    size = 0;
  };
  let run: { from: number; to: number } | undefined;
  const flushRun = () => {
    if (run && input?.asciiBytes) write(input.asciiBytes.subarray(run.from, run.to));
    run = undefined;
  };
  for (const part of parts) {
    // (A slice's offset comes with its text from the framing, which cut the one from the other.)
    if (typeof part !== 'string' && input?.asciiBytes && part.from + part.text.length <= input.asciiBytes.length) {
      flushText();
      if (run && run.to === part.from) run.to += part.text.length;
      else {
        flushRun();
        run = { from: part.from, to: part.from + part.text.length };
      }
      continue;
    }
    flushRun();
    const text = typeof part === 'string' ? part : part.text;
    batch.push(text);
    size += text.length;
    if (size >= 1 << 20) flushText();
  }
  flushRun();
  flushText();
}
