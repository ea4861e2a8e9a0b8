// Cutting input text into one chunk per resource without parsing it.
//
// kpt writes the function's output back into the user's files, so an item we
// do not change must leave exactly as it came. We therefore never re-serialise
// such an item: we cut the input into chunks — one per item of a block-style
// `items:` sequence (as offsets), or one per document of a YAML stream — and copy
// untouched chunks through byte for byte. Only a chunk that could matter to us is parsed
// at all (see `mayConcern` in render/plan.ts), which also keeps a 10,000-item list cheap.
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
  /** Where each item starts in the input: its text runs from its "- " line to the next
   *  item's start (offsets, not strings: a list can hold 70,000 items). */
  starts: number[];
  /** Where the last item ends. */
  end: number;
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

const itemsKey = /^items:[ \t]*(#.*)?\r?\n?$/;

/** Whether the line at `start` (up to `end`) is blank or a comment, read in place: a line
 *  whose first character after its spaces is plain content is decided without a slice. */
function blankOrCommentAt(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  if (i === end) return true;
  const c = text.charCodeAt(i);
  // '#', or whitespace other than a space (tab, CR, NBSP, …): the exact test on the line.
  if (c === 35 || c <= 32 || c >= 127) return isBlankOrComment(text.slice(start, end));
  return false;
}

/** The spaces before the line's first other character. */
function indentAt(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  return i - start;
}

/** A "- " (or "-" at the end of the line) at exactly `column`. */
function itemStartAt(text: string, start: number, end: number, column: number): boolean {
  if (indentAt(text, start, end) !== column || text.charCodeAt(start + column) !== 45 /* - */) return false;
  const at = start + column + 1;
  if (at >= end) return true;
  const next = text.charCodeAt(at);
  return next === 32 || next === 10 || next === 13;
}

/** The end of the line at `start` (after its "\n"), by offsets: chunks are slices of the
 *  input and no line is copied (a 100 MB ResourceList must not cost gigabytes). */
function lineEnd(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  return nl === -1 ? text.length : nl + 1;
}

export function frameResourceList(input: string): ItemsFraming | FlowFraming {
  let keyEnd = -1;
  for (let start = 0; start < input.length;) {
    const end = lineEnd(input, start);
    if (input.startsWith('items:', start)) {
      // `items: [...]` or `items: {…}` on the key's line: flow style, parsed whole by the caller.
      if (!itemsKey.test(input.slice(start, end))) return { kind: 'flow' };
      keyEnd = end;
      break;
    }
    start = end;
  }
  // No `items:` key at the start of a line: JSON or flow style (or no items at all); the caller parses it whole.
  if (keyEnd === -1) return { kind: 'flow' };

  const starts: number[] = [];
  let column = -1;
  let regionEnd = input.length;
  // Lines indented deeper than the column belong to the item they are in and decide nothing:
  // once the column is known, only the lines that start at or left of it are visited, found
  // by one regular expression over the input (most of a large list is never looked at in JS).
  let shallow: RegExp | undefined;
  for (let start = keyEnd, end: number; start < input.length; start = end) {
    end = lineEnd(input, start);
    if (!blankOrCommentAt(input, start, end)) {
      if (column === -1) {
        // The first content line decides the sequence's column, or shows there is no sequence.
        if (!/^ *-( |\r?\n|$)/.test(input.slice(start, end))) {
          regionEnd = start;
          break;
        }
        column = indentAt(input, start, end);
        shallow = new RegExp(`\n(?= {0,${column}}(?! ))`, 'g');
      }
      if (itemStartAt(input, start, end, column)) {
        starts.push(start);
      } else if (indentAt(input, start, end) <= column) {
        regionEnd = start;
        break;
      }
    }
    if (shallow && end < input.length) {
      // The next line that starts at or left of the column: the match is the "\n" before it,
      // so lastIndex is where it starts (test, not exec: no match object per item).
      shallow.lastIndex = end - 1;
      end = shallow.test(input) ? shallow.lastIndex : input.length;
    }
  }
  // Comment and blank lines before the first item belong to no item, as before.
  const skeleton = input.slice(0, keyEnd) + input.slice(regionEnd);
  return { kind: 'items', indent: Math.max(column, 0), starts, end: regionEnd, skeleton };
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
