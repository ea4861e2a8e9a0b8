// Changing a YAML text by replacing byte ranges that the parser reported, so
// that every byte outside them stays as it was (kpt writes our output back
// into the user's files; `kmsecret set` edits them in place).

export interface Splice {
  start: number;
  end: number;
  text: string;
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just after the end of the line holding `offset` (its newline included). */
export function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/** The end of the line a node ends on (a block node's range already ends after its newline). */
export function endOfLineAfter(text: string, node: { range?: [number, number, number] | null }): number {
  const [start, end] = node.range ?? [0, 0];
  return lineEnd(text, Math.max(end - 1, start));
}

export function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

export function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}
