// The ResourceList (KRM Functions Specification, config.kubernetes.io/v1) as
// text in, text out. Items stay the chunks they came as (framing.ts); only the
// ones the render changes are written again.
import { isMap, isScalar, isSeq } from 'yaml';
import { inputError } from '../errors.js';
import { frameResourceList, frameStream } from './framing.js';
import { fieldSegments } from './fields.js';
import { type Emittable, emitResource } from './emit.js';
import { lineOfField, type ParsedResource, parseChunk, parseWhole, writeNode, writeObject } from './yaml.js';
import { type OutputPart, partsText, pushPart, pushRange } from './output.js';
import type { Result } from './results.js';

/** One input resource: its exact text, parsed only on demand. */
export class SourceItem {
  #parsed: ParsedResource | undefined;
  #unreadable = false;
  constructor(
    readonly text: string,
    readonly index: number,
    /** true: a `- item` of a ResourceList; false: a document of a stream. */
    readonly asSeqItem: boolean,
    /** A file the CLI read it from, and the line it starts at. */
    readonly origin?: { file: string; line: number },
  ) {}

  /** Whether anything asked for the parse (items that could not concern us never are). */
  get isParsed(): boolean {
    return this.#parsed !== undefined;
  }

  /** The parse; throws an input error when the item is not a readable resource. */
  get parsed(): ParsedResource {
    try {
      this.#parsed ??= parseChunk(
        this.text,
        this.asSeqItem,
        this.origin ? { file: this.origin.file } : { field: `items[${this.index}]`, ...this.file() },
        this.origin?.line,
      );
    } catch (error) {
      this.#unreadable = true;
      throw error;
    }
    return this.#parsed;
  }

  /** Whether the item parses. An item kmsecret does not change may be unreadable to it
   *  (duplicate keys, many aliases, unknown tags in upstream manifests): it passes through
   *  as it came, as kpt would pass it. */
  get readable(): boolean {
    if (this.#parsed) return true;
    if (this.#unreadable) return false;
    try {
      void this.parsed;
      return true;
    } catch {
      return false;
    }
  }

  /** The line of a field (as fieldPath writes it), when the item came from a file the CLI read. */
  lineOf(field: string | undefined): number | undefined {
    if (!this.origin) return undefined;
    const segments = field === undefined ? [] : fieldSegments(field);
    if (!segments) return this.origin.line;
    try {
      return lineOfField(this.text, this.asSeqItem, segments, this.origin.line) ?? this.origin.line;
    } catch {
      return this.origin.line;
    }
  }

  /** Its file: where the CLI read it, or kpt's path annotation (found without parsing,
   *  so that even a parse error names the file). */
  file(): { file?: string; line?: number } {
    if (this.origin) return { ...this.origin };
    const m = /config\.kubernetes\.io\/path: *['"]?([^'"\r\n]+)/.exec(this.text);
    return m?.[1] ? { file: m[1] } : {};
  }
}

/** Where the items of a list were cut from: one input, each item from its start to the next's. */
interface Cut {
  readonly input: string;
  readonly starts: readonly number[];
  readonly end: number;
}

/** The items of a ResourceList or a stream, in order. Items cut from one input become
 *  SourceItems only when something asks for them: a list of 70,000 items kmsecret leaves alone
 *  is not 70,000 objects, which on a 16 MB list cost more than all the rest of the work. */
export class ItemList {
  readonly #cut: Cut | undefined;
  readonly #made = new Map<number, SourceItem>();
  readonly #index = new Map<SourceItem, number>();
  readonly length: number;

  private constructor(length: number, cut: Cut | undefined) {
    this.length = length;
    this.#cut = cut;
  }

  /** Items that exist already (a stream, a flow-style list, the CLI's files). */
  static of(items: readonly SourceItem[]): ItemList {
    const list = new ItemList(items.length, undefined);
    items.forEach((item, i) => list.#keep(i, item));
    return list;
  }

  /** Items cut from `input`: item i runs from starts[i] to starts[i + 1] (the last to `end`). */
  static cut(input: string, starts: readonly number[], end: number): ItemList {
    return new ItemList(starts.length, { input, starts, end });
  }

  #keep(i: number, item: SourceItem): SourceItem {
    this.#made.set(i, item);
    this.#index.set(item, i);
    return item;
  }

  /** Where item i lies in the input it was cut from. */
  #span(cut: Cut, i: number): { from: number; to: number } {
    return { from: cut.starts[i] as number, to: i + 1 < cut.starts.length ? (cut.starts[i + 1] as number) : cut.end };
  }

  item(i: number): SourceItem {
    const made = this.#made.get(i);
    if (made) return made;
    const cut = this.#cut;
    if (!cut || i < 0 || i >= this.length) throw new RangeError(`no item ${i}`);
    const { from, to } = this.#span(cut, i);
    return this.#keep(i, new SourceItem(cut.input.slice(from, to), i, true));
  }

  /** Item i's text, without making it a SourceItem. */
  textOf(i: number): string {
    const cut = this.#cut;
    if (!cut || this.#made.has(i)) return this.item(i).text;
    const { from, to } = this.#span(cut, i);
    return cut.input.slice(from, to);
  }

  indexOf(item: SourceItem): number {
    const i = this.#index.get(item);
    if (i === undefined) throw new RangeError('not an item of this list');
    return i;
  }

  /** Items from..to-1 (each one made). */
  slice(from: number, to: number): SourceItem[] {
    return Array.from({ length: Math.max(0, to - from) }, (_, i) => this.item(from + i));
  }

  /** Every item (each one made). */
  all(): SourceItem[] {
    return this.slice(0, this.length);
  }

  /** The items made so far between `from` and `to` (every item anything parsed is among them). */
  madeBetween(from: number, to: number): SourceItem[] {
    const made: SourceItem[] = [];
    for (let i = from; i < to; i++) {
      const item = this.#made.get(i);
      if (item) made.push(item);
    }
    return made;
  }

  /** The input the items were cut from, and where each starts; undefined when they were not cut. */
  get cut(): Cut | undefined {
    return this.#cut;
  }

  /** Items from..to-1 as one range of the input they were cut from (they lie one after the
   *  other), or undefined when they were not cut from one. */
  rangeOf(from: number, to: number): { input: string; from: number; to: number } | undefined {
    const cut = this.#cut;
    if (!cut || from >= to) return undefined;
    return { input: cut.input, from: this.#span(cut, from).from, to: this.#span(cut, to - 1).to };
  }

  /** Whether any item's text holds `text`, which has no line break (so it cannot span two items). */
  mentions(text: string): boolean {
    const range = this.rangeOf(0, this.length);
    if (!range) return this.all().some((item) => item.text.includes(text));
    const at = range.input.indexOf(text, range.from);
    return at !== -1 && at + text.length <= range.to;
  }
}

export interface ResourceListInput {
  apiVersion: string;
  /** The functionConfig as plain values (every scalar a string), or undefined. */
  functionConfig: Record<string, unknown> | undefined;
  items: ItemList;
  /** Column of the items' "- " indicators, kept for written items. */
  indent: number;
}

const listKinds = ['config.kubernetes.io/v1', 'config.kubernetes.io/v1beta1', 'config.kubernetes.io/v1alpha1'];

function envelopeOf(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw inputError('stdin is not a ResourceList (expected a YAML mapping with kind: ResourceList)');
  }
  const envelope = value as Record<string, unknown>;
  if (envelope.kind !== 'ResourceList' || !listKinds.includes(String(envelope.apiVersion))) {
    throw inputError(
      `stdin is not a ResourceList (found apiVersion ${String(envelope.apiVersion)}, kind ${String(envelope.kind)})`,
      {},
      'kmsecret-fn reads a config.kubernetes.io/v1 ResourceList on stdin; to decrypt a plain file use `kmsecret decrypt`',
    );
  }
  return envelope;
}

/** Items that come from every block list, or one block chunk per item of a flow/JSON list. */
function flowItems(text: string): { skeleton: string; items: ItemList } {
  const { doc, value } = parseWhole(text, { field: 'ResourceList' });
  envelopeOf(value);
  const root = doc.contents;
  const seq = isMap(root) ? root.get('items', true) : undefined;
  const empty = seq === undefined || seq === null || (isScalar(seq) && ['', '~', 'null'].includes(String(seq.value ?? '')));
  if (!empty && !isSeq(seq)) {
    throw inputError('items is not a list', { field: 'items' });
  }
  const items = (isSeq(seq) ? seq.items : []).map((node, i) => {
    if (!isMap(node)) throw inputError('is not a mapping (a Kubernetes resource is a YAML mapping)', { field: `items[${i}]` });
    return new SourceItem(writeNode(node, true, 0), i, true);
  });
  if (isMap(root)) root.delete('items');
  return { skeleton: doc.toString(), items: ItemList.of(items) };
}

export function readResourceList(input: string): ResourceListInput {
  const text = input.replace(/^\uFEFF/, '');
  const bom = input.length - text.length;
  if (text.trim() === '')
    throw inputError(
      'stdin is empty; expected a ResourceList (config.kubernetes.io/v1)',
      {},
      'run kmsecret-fn from kpt or kustomize, or pipe a ResourceList into it',
    );
  const framing = frameResourceList(text);
  const { skeleton, items } =
    framing.kind === 'items'
      ? {
          skeleton: framing.skeleton,
          items: ItemList.cut(input, bom === 0 ? framing.starts : framing.starts.map((start) => bom + start), bom + framing.end),
        }
      : flowItems(text);
  const envelope = envelopeOf(parseWhole(skeleton, { field: 'ResourceList' }).value);
  const fc = envelope.functionConfig;
  if (fc !== undefined && fc !== null && fc !== '~' && fc !== '' && (typeof fc !== 'object' || Array.isArray(fc))) {
    throw inputError('functionConfig is not a mapping', { field: 'functionConfig' });
  }
  return {
    apiVersion: String(envelope.apiVersion),
    functionConfig: typeof fc === 'object' && fc !== null ? (fc as Record<string, unknown>) : undefined,
    items,
    indent: framing.kind === 'items' ? framing.indent : 0,
  };
}

/** A multi-document stream (legacy plugins, rendered manifests). */
export function readStream(input: string, file?: string): SourceItem[] {
  const { chunks, lines } = frameStream(input.replace(/^\uFEFF/, ''));
  return chunks.map((chunk, i) => new SourceItem(chunk, i, false, file === undefined ? undefined : { file, line: lines[i] as number }));
}

/** What goes out: an item exactly as it came, a changed item (its AST), or a new resource. */
export type OutputItem =
  /** Items from..to-1 of a list, as they came. */
  | { kind: 'sources'; items: ItemList; from: number; to: number }
  /** A changed item, already written: spliced, or from its AST (render/edits.ts). */
  | { kind: 'changed'; item: SourceItem; text: string }
  | { kind: 'new'; value: object };

function withLineBreak(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Appends an output item's text: an item that leaves as it came is a range of the input. */
function pushItem(parts: OutputPart[], out: OutputItem, asSeqItem: boolean, indent: number): void {
  switch (out.kind) {
    case 'sources': {
      const range = out.items.rangeOf(out.from, out.to);
      if (range) {
        // Cut items lie one after the other, each ending in a line break but perhaps the last.
        pushRange(parts, range.input, range.from, range.to);
        if (range.input.charCodeAt(range.to - 1) !== 10) pushPart(parts, '\n');
        return;
      }
      for (const item of out.items.slice(out.from, out.to)) pushPart(parts, withLineBreak(item.text));
      return;
    }
    case 'changed':
      return pushPart(parts, out.text);
    case 'new':
      return pushPart(parts, emitResource(out.value as Record<string, Emittable>, asSeqItem, indent));
  }
}

/** The output ResourceList as parts, to be written one after the other (no 100 MB string). */
export function resourceListParts(apiVersion: string, indent: number, items: OutputItem[], results: Result[]): OutputPart[] {
  const parts: OutputPart[] = [`apiVersion: ${apiVersion}\nkind: ResourceList\n`, items.length === 0 ? 'items: []\n' : 'items:\n'];
  for (const out of items) pushItem(parts, out, true, indent);
  if (results.length > 0) parts.push(writeObject({ results }, false, 0));
  return parts;
}

export function writeResourceList(apiVersion: string, indent: number, items: OutputItem[], results: Result[]): string {
  return partsText(resourceListParts(apiVersion, indent, items, results));
}

/** Documents separated by `---` lines: a run of items is one document per item. */
export function writeStream(items: OutputItem[]): string {
  const documents = items.flatMap((out) => {
    if (out.kind === 'sources') return out.items.slice(out.from, out.to).map((item) => withLineBreak(item.text));
    const parts: OutputPart[] = [];
    pushItem(parts, out, false, 0);
    return [partsText(parts)];
  });
  return documents.join('---\n');
}
