// The ResourceList (KRM Functions Specification, config.kubernetes.io/v1) as
// text in, text out. Items stay the chunks they came as (framing.ts); only the
// ones the render changes are written again.
import { isMap, isScalar, isSeq } from 'yaml';
import { inputError } from '../errors.js';
import { frameResourceList, frameStream } from './framing.js';
import { fieldSegments } from './fields.js';
import { type Emittable, emitResource } from './emit.js';
import { lineOfField, type ParsedResource, parseChunk, parseWhole, writeNode, writeObject } from './yaml.js';
import { type OutputPart, partsText, partText, pushPart } from './output.js';
import type { Result } from './results.js';

/** One input resource: its exact text, parsed only on demand. */
export class SourceItem {
  #parsed: ParsedResource | undefined;
  #unreadable = false;
  /** The ResourceList kmsecret-fn read, and where this item's text starts in it: for writing it
   *  out as it came, and for looking at every item with one scan of the input (two fields, not an
   *  object: a list can hold 70,000 items). */
  readonly input: string | undefined;
  readonly offset: number | undefined;
  constructor(
    readonly text: string,
    readonly index: number,
    /** true: a `- item` of a ResourceList; false: a document of a stream. */
    readonly asSeqItem: boolean,
    /** A file the CLI read it from, and the line it starts at. */
    readonly origin?: { file: string; line: number },
    cut?: { input: string; offset: number },
  ) {
    this.input = cut?.input;
    this.offset = cut?.offset;
  }

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

export interface ResourceListInput {
  apiVersion: string;
  /** The functionConfig as plain values (every scalar a string), or undefined. */
  functionConfig: Record<string, unknown> | undefined;
  items: SourceItem[];
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
function flowItems(text: string): { skeleton: string; items: SourceItem[] } {
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
  return { skeleton: doc.toString(), items };
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
          items: framing.chunks.map((chunk, i) => new SourceItem(chunk, i, true, undefined, { input, offset: bom + (framing.starts[i] as number) })),
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
  | { kind: 'source'; item: SourceItem }
  /** A changed item, already written: spliced, or from its AST (render/edits.ts). */
  | { kind: 'changed'; item: SourceItem; text: string }
  | { kind: 'new'; value: object };

function itemText(out: OutputItem, asSeqItem: boolean, indent: number): OutputPart {
  switch (out.kind) {
    case 'source': {
      const { text, input, offset } = out.item;
      if (!text.endsWith('\n')) return `${text}\n`;
      return input === undefined || offset === undefined ? text : { input, from: offset, to: offset + text.length };
    }
    case 'changed':
      return out.text;
    case 'new':
      return emitResource(out.value as Record<string, Emittable>, asSeqItem, indent);
  }
}

/** The output ResourceList as parts, to be written one after the other (no 100 MB string). */
export function resourceListParts(apiVersion: string, indent: number, items: OutputItem[], results: Result[]): OutputPart[] {
  const parts: OutputPart[] = [`apiVersion: ${apiVersion}\nkind: ResourceList\n`, items.length === 0 ? 'items: []\n' : 'items:\n'];
  for (const out of items) pushPart(parts, itemText(out, true, indent));
  if (results.length > 0) parts.push(writeObject({ results }, false, 0));
  return parts;
}

export function writeResourceList(apiVersion: string, indent: number, items: OutputItem[], results: Result[]): string {
  return partsText(resourceListParts(apiVersion, indent, items, results));
}

export function writeStream(items: OutputItem[]): string {
  return items.map((out) => partText(itemText(out, false, 0))).join('---\n');
}
