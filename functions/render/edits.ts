// The few changes the render makes inside a resource it does not replace (a
// workload whose env values it decrypts, a Secret reference that follows a
// rename), as data, with two ways to carry them out:
//
//   splice  replace the parsed ranges in the item's text: every other byte —
//           comments, quoting, order, folded text — stays, and it is fast
//   AST     edit the yaml Document and write the item again: for what a splice
//           cannot do safely (aliases, flow-style metadata, block scalars)
//
// Both give the same meaning (test/unit/edits.test.ts holds them to it).
import { randomBytes } from 'node:crypto';
import { isAlias, isMap, isScalar, type Node, type Pair, Scalar, visit, YAMLMap } from 'yaml';
import { KmsecretError } from '../errors.js';
import { doubleQuoted, scalar } from '../krm/emit.js';
import type { PathSegment } from '../krm/fields.js';
import type { SourceItem } from '../krm/resource-list.js';
import { applySplices, columnOf, endOfLineAfter, type Splice } from '../krm/splice.js';
import { expandAliases, type ParsedResource, writeNode } from '../krm/yaml.js';

export type Edit =
  /** The scalar at `path` becomes `value`; `quote` forces double quotes (plaintext env values). */
  | { op: 'set'; path: PathSegment[]; value: string; quote: boolean }
  /** The env entry at `entry` loses `value` and gets `valueFrom.secretKeyRef` {name, key}. */
  | { op: 'secretRef'; entry: PathSegment[]; name: string; key: string }
  /** metadata.annotations[key] = value. */
  | { op: 'annotate'; key: string; value: string };

const pad = (n: number) => ' '.repeat(n);
const scalarText = (value: string, quote: boolean) => (quote ? doubleQuoted(value) : scalar(value));

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

type Range = [number, number, number];
const rangeOf = (node: unknown): Range | undefined => (node as { range?: Range } | undefined)?.range ?? undefined;

function isBlockScalar(node: unknown): boolean {
  return isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
}

/** One edit as a splice of `source`, or undefined when a splice would not be safe. */
function splice(parsed: ParsedResource, edit: Edit): Splice | undefined {
  const { node: root, source } = parsed;
  switch (edit.op) {
    case 'set': {
      const target = root.getIn(edit.path, true);
      const range = rangeOf(target);
      if (!isScalar(target) || !range || isBlockScalar(target)) return undefined;
      return { start: range[0], end: range[1], text: scalarText(edit.value, edit.quote) };
    }
    case 'secretRef': {
      const entry = root.getIn(edit.entry, true);
      if (!isMap(entry)) return undefined;
      const pair = entry.items.find((p) => keyOf(p) === 'value');
      const keyRange = rangeOf(pair?.key);
      const valueRange = rangeOf(pair?.value);
      if (!pair || !keyRange || !valueRange || isBlockScalar(pair.value)) return undefined;
      if (entry.flow) {
        return { start: keyRange[0], end: valueRange[1], text: `valueFrom: {secretKeyRef: {name: ${scalar(edit.name)}, key: ${scalar(edit.key)}}}` };
      }
      const col = columnOf(source, keyRange[0]);
      const text = `valueFrom:\n${pad(col + 2)}secretKeyRef:\n${pad(col + 4)}name: ${scalar(edit.name)}\n${pad(col + 4)}key: ${scalar(edit.key)}`;
      return { start: keyRange[0], end: valueRange[1], text };
    }
    case 'annotate': {
      const metadata = root.get('metadata', true);
      if (!isMap(metadata) || metadata.flow || metadata.items.length === 0) return undefined;
      const line = (col: number) => `${pad(col)}${scalar(edit.key)}: ${doubleQuoted(edit.value)}\n`;
      const annotations = metadata.get('annotations', true);
      if (annotations === undefined) {
        const first = rangeOf(metadata.items[0]?.key);
        const last = metadata.items[metadata.items.length - 1] as Pair;
        if (!first || !rangeOf(last.value ?? last.key)) return undefined;
        const at = endOfLineAfter(source, (last.value ?? last.key) as Node);
        const col = columnOf(source, first[0]);
        return { start: at, end: at, text: `${source[at - 1] === '\n' ? '' : '\n'}${pad(col)}annotations:\n${line(col + 2)}` };
      }
      if (!isMap(annotations) || annotations.flow || annotations.items.length === 0) return undefined;
      const first = rangeOf(annotations.items[0]?.key);
      const last = annotations.items[annotations.items.length - 1] as Pair;
      if (!first || !rangeOf(last.value)) return undefined;
      const at = endOfLineAfter(source, last.value as Node);
      return { start: at, end: at, text: `${source[at - 1] === '\n' ? '' : '\n'}${line(columnOf(source, first[0]))}` };
    }
  }
}

/** Quoted values go into the AST as stand-ins and are written by doubleQuoted() afterwards:
 *  the yaml library's own double quotes leave NEL, U+2028 and U+2029 raw. */
class QuotedValues {
  readonly #prefix = `kmsquoted${randomBytes(6).toString('hex')}n`;
  readonly #values: string[] = [];

  node(text: string): Scalar {
    const node = new Scalar(`${this.#prefix}${this.#values.push(text) - 1}x`);
    node.type = Scalar.QUOTE_DOUBLE;
    return node;
  }

  restore(written: string): string {
    if (this.#values.length === 0) return written;
    return written.replace(new RegExp(`"${this.#prefix}(\\d+)x"`, 'g'), (_, i: string) => doubleQuoted(this.#values[Number(i)] as string));
  }
}

/** The same edits on the AST. */
function editAst(parsed: ParsedResource, edits: readonly Edit[], quoted: QuotedValues): void {
  expandAliases(parsed);
  const root = parsed.node;
  for (const edit of edits) {
    switch (edit.op) {
      case 'set':
        root.setIn(edit.path, edit.quote ? quoted.node(edit.value) : edit.value);
        break;
      case 'secretRef': {
        const entry = root.getIn(edit.entry, true);
        if (!isMap(entry)) throw new KmsecretError('internal', `env entry at ${edit.entry.join('.')} moved during the render`);
        entry.delete('value');
        const ref = new YAMLMap();
        ref.set('name', edit.name);
        ref.set('key', edit.key);
        const valueFrom = new YAMLMap();
        valueFrom.set('secretKeyRef', ref);
        entry.set('valueFrom', valueFrom);
        break;
      }
      case 'annotate':
        root.setIn(['metadata', 'annotations', edit.key], quoted.node(edit.value));
        break;
    }
  }
}

/** A splice through an alias would change one place and leave its copies: use the AST. */
function hasAliases(parsed: ParsedResource): boolean {
  if (!/[&*]/.test(parsed.source)) return false;
  let found = false;
  visit(parsed.node, {
    Node(_, node) {
      if (isAlias(node) || (node as { anchor?: string }).anchor) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The item's text after the edits: spliced where every edit can be, else written from the AST.
 *  `via` forces one way (the tests compare them). */
export function editedText(item: SourceItem, edits: readonly Edit[], via?: 'splice' | 'ast'): string {
  const parsed = item.parsed;
  if (via !== 'ast' && !hasAliases(parsed)) {
    const splices = edits.map((edit) => splice(parsed, edit));
    if (splices.every((s): s is Splice => s !== undefined)) {
      const text = parsed.restore(applySplices(parsed.source, splices));
      return text.endsWith('\n') ? text : `${text}\n`;
    }
    if (via === 'splice') throw new Error('these edits cannot be spliced');
  }
  const quoted = new QuotedValues();
  editAst(parsed, edits, quoted);
  // Written again at the column its "- " indicator had.
  return quoted.restore(writeNode(parsed.node, item.asSeqItem, item.asSeqItem ? (/^ */.exec(item.text)?.[0].length ?? 0) : 0));
}
