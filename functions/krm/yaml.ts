// How kmsecret reads and writes YAML, in one place.
//
// Reading uses the `yaml` package with the failsafe schema: every scalar stays
// the string it was written as, so `2020-01-01`, `0755`, `1.10`, `~` and
// `12345678901234567890` keep their exact text when a changed resource is
// written again, and comments and quoting styles survive on the nodes.
// (js-yaml, which the kpt-functions SDK uses, turns those into timestamps and
// numbers and drops comments; see README "Why not the kpt-functions SDK".)
import {
  Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  parseDocument,
  stringify,
  visit,
  type YAMLMap,
  YAMLSeq,
} from 'yaml';
import { inputError, type ErrorPlace } from '../errors.js';
import { restoreDocument, withStandIns } from './stand-ins.js';

/** A resource parsed from its chunk: the AST (to edit in place) and its plain value (to read). */
export interface ParsedResource {
  doc: Document.Parsed;
  node: YAMLMap;
  /** The text the node ranges refer to (tokens swapped for stand-ins), and the way back. */
  source: string;
  restore: (text: string) => string;
  value: Record<string, unknown>;
}

// prettyErrors: errors carry their line (the message's code frame is cut off again below).
// uniqueKeys is checked by duplicateKey() instead: the parser's own check compares every
// key with every other one, quadratic in a mapping's size (40,000 keys: 8.5 s).
const parseOptions = { schema: 'failsafe', uniqueKeys: false, prettyErrors: true, strict: true } as const;

/** Aliases in one resource; kustomize and kpt never write them, a bomb writes millions. */
const maxAliasCount = 64;

function describeYamlError(error: { message: string; linePos?: [{ line: number }, ...unknown[]] }): string {
  const first = error.message.split('\n')[0] ?? error.message;
  if (/Maximum call stack/.test(first)) return 'it nests too deeply to read (Kubernetes resources nest a few dozen levels, not thousands)';
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/** A parse that threw instead of reporting: the stack ran out (absurd nesting), or worse. */
function unreadable(error: unknown, place: ErrorPlace) {
  return error instanceof RangeError
    ? inputError('nests too deeply to read', place, 'Kubernetes resources nest a few dozen levels, not thousands')
    : inputError(`is not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : 'parse failure'})`, place);
}

/** Parses text, turning every way the parser can fail into an input error. `firstLine`: where
 *  the text starts in a file the user wrote; without it, lines are not reported (a
 *  ResourceList item's lines are not the lines of the user's file). */
function parseReported(text: string, place: ErrorPlace, firstLine: number | undefined): Document.Parsed {
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, parseOptions);
  } catch (error) {
    throw unreadable(error, place);
  }
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    throw inputError(
      `is not valid YAML: ${describeYamlError(error)}`,
      line && firstLine ? { ...place, line: line + firstLine - 1 } : place,
      'fix the YAML syntax',
    );
  }
  const duplicate = duplicateKey(doc);
  if (duplicate) {
    const line = text.slice(0, duplicate.offset).split('\n').length;
    throw inputError(
      `is not valid YAML: the key ${JSON.stringify(printableKey(duplicate.key))} appears twice in one mapping`,
      firstLine ? { ...place, line: line + firstLine - 1 } : place,
      'remove one of them',
    );
  }
  return doc;
}

function printableKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 61)}...` : key;
}

/** The first key that appears twice in one mapping, found with one set per mapping. */
export function duplicateKey(doc: Document.Parsed): { key: string; offset: number } | undefined {
  let found: { key: string; offset: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : isNode(pair.key) ? pair.key.toString() : String(pair.key);
        if (seen.has(key)) {
          found = { key, offset: (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0 };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/** Whether a resource uses a YAML merge key (`<<`). kmsecret reads it as YAML 1.2 does (a key
 *  like any other, the explicit fields win), kpt keeps it, and kubectl applies it with YAML 1.1
 *  (the later field wins): readers that disagree on what a resource says must not be trusted. */
export function usesMergeKeys(parsed: ParsedResource): boolean {
  if (!parsed.source.includes('<<')) return false;
  let found = false;
  visit(parsed.node, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && ((key.value === '<<' && key.type === 'PLAIN') || key.tag === 'tag:yaml.org,2002:merge')) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The plain value of a parsed node (`read`), with alias bombs and deep nesting as input errors. */
function toValue(read: () => unknown, place: ErrorPlace): unknown {
  try {
    return read();
  } catch (error) {
    if (error instanceof RangeError) throw unreadable(error, place);
    throw inputError(`cannot be read: ${error instanceof Error ? error.message : 'bad YAML'}`, place, 'remove YAML aliases from resources');
  }
}

const simpleKey = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const simpleValue = /^[A-Za-z0-9][A-Za-z0-9._:/+=-]*$/;

/** The value of a document written the way kmsecret writes a KmsSecret (or kustomize writes a
 *  plugin's config), or undefined for any other text. What it reads means the same to every
 *  YAML reader: block mappings, each nested one indented two spaces more than its key, and
 *  block sequences of scalars written at their key's own indent (`files:` then `- a.yaml`); one
 *  `key: value`, `key:` or `- value` per line; keys and values plain scalars of letters, digits
 *  and `._/-` (values also `:+=` after the first character, never a final `:`); no comments,
 *  blank lines, tabs, CRs, anchors, tags, quotes or duplicate keys. Every scalar is a string,
 *  as the failsafe schema reads it.
 *
 *  Why: the generator form reads a file per Secret in a fresh process, where the `yaml`
 *  package's code runs cold (1.3 ms a file, 130 ms for 100). test/unit/yaml-simple.test.ts
 *  holds this reader to the `yaml` package on generated text, near misses included. */
export function readSimpleMapping(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const root: Record<string, unknown> = {};
  const open: Array<Record<string, unknown>> = [root];
  // A `key:` takes its value from the next line: a mapping one level deeper, or a sequence at its own level.
  let opener: { map: Record<string, unknown>; key: string; depth: number } | undefined;
  // The sequence being read: another `- value` at its level continues it.
  let sequence: { items: string[]; depth: number } | undefined;
  for (const line of lines) {
    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent % 2 !== 0) return undefined;
    const depth = indent / 2;
    const rest = line.slice(indent);
    if (rest.startsWith('- ')) {
      const value = rest.slice(2);
      if (!simpleValue.test(value) || value.endsWith(':')) return undefined;
      if (opener && depth === opener.depth) {
        sequence = { items: [], depth };
        opener.map[opener.key] = sequence.items;
        opener = undefined;
      } else if (opener || sequence?.depth !== depth) return undefined;
      sequence.items.push(value);
      continue;
    }
    sequence = undefined;
    if (opener) {
      if (depth !== opener.depth + 1) return undefined;
      const nested: Record<string, unknown> = {};
      opener.map[opener.key] = nested;
      open.push(nested);
      opener = undefined;
    } else if (depth >= open.length) return undefined;
    open.length = depth + 1;
    const map = open[depth] as Record<string, unknown>;
    const colon = rest.indexOf(':');
    const key = rest.slice(0, colon);
    if (colon === -1 || !simpleKey.test(key) || Object.hasOwn(map, key)) return undefined;
    if (colon === rest.length - 1) {
      // Taken now, so that a duplicate of it is refused even before its value is read.
      map[key] = undefined;
      opener = { map, key, depth };
      continue;
    }
    const value = rest.slice(colon + 2);
    if (rest.charCodeAt(colon + 1) !== 32 || !simpleValue.test(value) || value.endsWith(':')) return undefined;
    map[key] = value;
  }
  return opener || lines.length === 0 ? undefined : root;
}

/** A resource read by readSimpleMapping: its value now, its AST when an edit asks for it. */
function withAstOnDemand(value: Record<string, unknown>, parse: () => ParsedResource): ParsedResource {
  let full: ParsedResource | undefined;
  const ast = () => (full ??= parse());
  return {
    value,
    get doc() {
      return ast().doc;
    },
    get node() {
      return ast().node;
    },
    get source() {
      return ast().source;
    },
    get restore() {
      return ast().restore;
    },
  };
}

/** Parses one chunk: a `- item` of a ResourceList (asSeqItem) or a whole document, with
 *  token stand-ins (stand-ins.ts) unless asked not to. A document kmsecret could have written
 *  itself is read directly (readSimpleMapping), its AST parsed only if it is edited. */
export function parseChunk(text: string, asSeqItem: boolean, place: ErrorPlace, firstLine?: number, standIns = true): ParsedResource {
  const simple = asSeqItem ? undefined : readSimpleMapping(text);
  if (simple) return withAstOnDemand(simple, () => parseWithAst(text, asSeqItem, place, firstLine, standIns));
  return parseWithAst(text, asSeqItem, place, firstLine, standIns);
}

function parseWithAst(text: string, asSeqItem: boolean, place: ErrorPlace, firstLine: number | undefined, standIns: boolean): ParsedResource {
  const swapped = standIns ? withStandIns(text) : undefined;
  const doc = parseReported(swapped?.text ?? text, place, firstLine);
  if (swapped) restoreDocument(doc, swapped);
  let node: unknown = doc.contents;
  if (asSeqItem) node = isSeq(node) ? node.items[0] : undefined;
  if (!isMap(node)) throw inputError('is not a mapping (a Kubernetes resource is a YAML mapping)', place);
  const mapping = node;
  const value = toValue(() => mapping.toJS(doc, { maxAliasCount }), place);
  return { doc, node, value: value as Record<string, unknown>, source: swapped?.text ?? text, restore: swapped?.restore ?? ((t) => t) };
}

/** Every document of a file the CLI edits in place (its ASTs keep their offsets into
 *  `text`), read as every chunk is: failsafe, unique keys, at most a few aliases. */
export function parseDocuments(text: string, file: string): Array<{ doc: Document.Parsed; value: unknown; line: number }> {
  const lines = new LineCounter();
  const place = { file };
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { ...parseOptions, lineCounter: lines }) as Document.Parsed[];
  } catch (error) {
    throw unreadable(error, place);
  }
  if (!Array.isArray(docs)) return [];
  return docs.map((doc) => {
    const error = doc.errors[0];
    if (error)
      throw inputError(
        `is not valid YAML: ${describeYamlError(error)}`,
        { file, line: error.linePos?.[0].line ?? lines.linePos(doc.range[0]).line },
        'fix the YAML syntax',
      );
    const duplicate = duplicateKey(doc);
    if (duplicate)
      throw inputError(
        `is not valid YAML: the key ${JSON.stringify(printableKey(duplicate.key))} appears twice in one mapping`,
        { file, line: lines.linePos(duplicate.offset).line },
        'remove one of them',
      );
    const line = lines.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    return { doc, value: toValue(() => doc.toJS({ maxAliasCount }), { file, line }), line };
  });
}

/** Parses a small document whole (the ResourceList without its items, a CLI file). */
export function parseWhole(text: string, place: ErrorPlace): { doc: Document.Parsed; value: unknown } {
  const doc = parseReported(text, place, 1);
  return { doc, value: toValue(() => doc.toJS({ maxAliasCount }), place) };
}

/** The value of a small document when nothing will edit it (a plugin's config): read directly
 *  when kmsecret or kustomize could have written it (readSimpleMapping), else parsed whole. */
export function readWhole(text: string, place: ErrorPlace): unknown {
  return readSimpleMapping(text) ?? parseWhole(text, place).value;
}

/** Before a resource is edited: aliases become copies of what they point to, so that an
 *  edit through one path does not show up at (or miss) another. kpt and kustomize never
 *  write aliases; a hand-written manifest may. */
export function expandAliases(parsed: ParsedResource): void {
  const dropAnchor = (root: Node) =>
    visit(root, {
      Node(_, n) {
        delete (n as { anchor?: string }).anchor;
      },
    });
  visit(parsed.node, {
    Alias(_, alias) {
      const target = alias.resolve(parsed.doc);
      if (!isNode(target) || isAlias(target)) return undefined;
      const copy = target.clone() as Node;
      dropAnchor(copy);
      delete (copy as { anchor?: string }).anchor;
      return copy;
    },
  });
  dropAnchor(parsed.node);
}

/** The 1-based line of a field in a chunk that starts at `firstLine`, for messages. */
export function lineOfField(text: string, asSeqItem: boolean, segments: readonly (string | number)[], firstLine = 1): number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...parseOptions, lineCounter: lines });
  let node: unknown = doc.contents;
  if (asSeqItem) node = isSeq(node) ? node.items[0] : undefined;
  if (!isMap(node)) return undefined;
  // The deepest node of the path that exists: a missing field is reported where it would go.
  for (let depth = segments.length; depth >= 0; depth--) {
    const found = depth === 0 ? node : node.getIn(segments.slice(0, depth), true);
    const range = (found as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line + firstLine - 1;
  }
  return undefined;
}

const writeOptions = { lineWidth: 0, minContentWidth: 0, indentSeq: false } as const;

function indentBy(text: string, column: number): string {
  if (column === 0) return text;
  const pad = ' '.repeat(column);
  return text.replace(/^(?=.)/gm, pad);
}

/** A changed resource, written from its AST: untouched nodes keep their text, comments and style. */
export function writeNode(node: YAMLMap, asSeqItem: boolean, column: number): string {
  const contents = asSeqItem ? new YAMLSeq() : node;
  if (contents instanceof YAMLSeq) contents.items.push(node);
  const doc = new Document(contents, { schema: 'failsafe' });
  return indentBy(doc.toString(writeOptions), column);
}

/** A resource we generate (a Secret): written with the core schema, so a string that
 *  looks like a number or a date is quoted and reads back as the same string. */
export function writeObject(value: object, asSeqItem: boolean, column: number): string {
  return indentBy(stringify(asSeqItem ? [value] : value, writeOptions), column);
}
