// Cutting input text into one chunk per resource without parsing it.
//
// kpt writes the function's output back into the user's files, so an item we
// do not change must leave exactly as it came. We therefore never re-serialise
// such an item: we cut the input into chunks — one per item of a block-style
// `items:` sequence, or one per document of a YAML stream — and copy untouched
// chunks through byte for byte. Only a chunk that could matter to us is parsed
// at all (see `mayConcern` in read.ts), which also keeps a 10,000-item list cheap.
//
// The cut relies on one property of block YAML: inside an item, every line
// that is not blank or a comment is indented deeper than the item's "- "
// indicator (block scalars, continuation lines and nested nodes all are).
// So a new item starts exactly at a line with "-" at the sequence's column, and
// the sequence ends at the first content line at or left of that column.

export interface ItemsFraming {
  kind: 'items';
  /** Column of the "- " indicators (0 for kpt's and kustomize's output). */
  indent: number;
  /** Each item's text, from its "- " line to the line before the next one. */
  chunks: string[];
  /** The input without the items region: apiVersion, kind, functionConfig … */
  skeleton: string;
}

export interface FlowFraming {
  /** `items:` is not a block sequence (JSON input, `items: [...]`): the caller parses the whole list. */
  kind: 'flow';
}

export interface StreamFraming {
  kind: 'stream';
  /** Each document's text, without its `---` separator line. Empty documents are dropped. */
  chunks: string[];
  /** The 1-based line each chunk starts at, for messages. */
  lines: number[];
}

const lineBreak = /\r?\n/g;

/** Lines with their end-of-line kept, so joining them restores the text exactly. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  lineBreak.lastIndex = 0;
  for (let m = lineBreak.exec(text); m; m = lineBreak.exec(text)) {
    lines.push(text.slice(start, m.index + m[0].length));
    start = m.index + m[0].length;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

function isBlankOrComment(line: string): boolean {
  const t = line.trimStart();
  return t === '' || t.startsWith('#');
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

function isItemStart(line: string, column: number): boolean {
  if (indentOf(line) !== column || line[column] !== '-') return false;
  const next = line[column + 1];
  return next === undefined || next === ' ' || next === '\n' || next === '\r';
}

const itemsKey = /^items:[ \t]*(#.*)?\r?\n?$/;
const itemsKeyAny = /^items:/;

/** Line by line over the text by offsets: no array of lines, and chunks are slices of
 *  the input (a 100 MB ResourceList must not cost gigabytes). */
function* linesOf(text: string, from = 0): Generator<{ start: number; end: number; line: string }> {
  let start = from;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl + 1;
    yield { start, end, line: text.slice(start, end) };
    start = end;
  }
}

export function frameResourceList(input: string): ItemsFraming | FlowFraming {
  let keyEnd = -1;
  for (const { end, line } of linesOf(input)) {
    if (itemsKeyAny.test(line)) {
      // `items: [...]` or `items: {…}` on the key's line: flow style, parsed whole by the caller.
      if (!itemsKey.test(line)) return { kind: 'flow' };
      keyEnd = end;
      break;
    }
  }
  // No `items:` key at the start of a line: JSON or flow style (or no items at all); the caller parses it whole.
  if (keyEnd === -1) return { kind: 'flow' };

  const chunks: string[] = [];
  let column = -1;
  let chunkStart = -1;
  let regionEnd = input.length;
  for (const { start, line } of linesOf(input, keyEnd)) {
    if (isBlankOrComment(line)) continue;
    if (column === -1) {
      // The first content line decides the sequence's column, or shows there is no sequence.
      if (!/^ *-( |\r?\n|$)/.test(line)) {
        regionEnd = start;
        break;
      }
      column = indentOf(line);
    }
    if (isItemStart(line, column)) {
      if (chunkStart !== -1) chunks.push(input.slice(chunkStart, start));
      chunkStart = start;
    } else if (indentOf(line) <= column) {
      regionEnd = start;
      break;
    }
  }
  if (chunkStart !== -1) chunks.push(input.slice(chunkStart, regionEnd));
  // Comment and blank lines before the first item belong to no item, as before.
  const skeleton = input.slice(0, keyEnd) + input.slice(regionEnd);
  return { kind: 'items', indent: Math.max(column, 0), chunks, skeleton };
}

const documentMarker = /^(---|\.\.\.)([ \t].*)?\r?\n?$/;

/** A multi-document YAML stream, as legacy kustomize plugins and `kubectl kustomize` write it. */
export function frameStream(input: string): StreamFraming {
  const chunks: string[] = [];
  const starts: number[] = [];
  let current: string[] = [];
  let start = 1;
  const flush = (next: number) => {
    if (current.some((line) => !isBlankOrComment(line))) {
      chunks.push(current.join(''));
      starts.push(start);
    }
    current = [];
    start = next;
  };
  const lines = splitLines(input);
  for (const [i, line] of lines.entries()) {
    if (documentMarker.test(line)) {
      flush(i + 2);
      // `--- ` may carry content after the marker on the same line (`--- !tag` or `--- {}`).
      const rest = line.replace(/^---[ \t]?/, '');
      if (line.startsWith('---') && rest.trim() !== '' && !rest.trim().startsWith('#')) {
        current.push(rest);
        start = i + 1;
      }
      continue;
    }
    current.push(line);
  }
  flush(lines.length + 1);
  return { kind: 'stream', chunks, lines: starts };
}
