// The framing cuts text into items without parsing; these tests hold it to
// what the yaml parser says the items are, on generated and on real input.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify } from 'yaml';
import { frameResourceList, frameStream, type ItemsFraming } from '../../functions/krm/framing.js';
import { ItemList, type OutputItem, readResourceList, SourceItem, writeResourceList } from '../../functions/krm/resource-list.js';
import { corpusDir } from '../helpers/packages.js';

/** Each item's text, as the framing's offsets cut it. */
const chunksOf = (text: string, framing: ItemsFraming): string[] => framing.starts.map((start, i) => text.slice(start, framing.starts[i + 1] ?? framing.end));

const scalar = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '2020-01-01',
    '0755',
    '1.10',
    '~',
    '12345678901234567890',
    'true',
    'null',
    '- item',
    '# not a comment',
    'a: b',
    '---',
    '...',
    ' lead',
    'trail ',
    'multi\nline\n',
    '\ttab',
    "it's",
    '"q"',
  ),
  fc.integer(),
  fc.boolean(),
);
const key = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('items', 'kind', '- x', '#k', 'functionConfig', '---'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
})).node;
const resource = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constantFrom('ConfigMap', 'Thing'),
  metadata: fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }) }),
  data: fc.dictionary(key, value, { maxKeys: 4 }),
});

const styles = fc.record({
  indentSeq: fc.boolean(),
  indent: fc.constantFrom(2, 4),
  blockQuote: fc.constantFrom(true, false, 'literal' as const, 'folded' as const),
  defaultStringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const),
  lineWidth: fc.constantFrom(0, 20, 80),
});

describe('frameResourceList', () => {
  it('finds exactly the items the YAML parser finds, for any block-style list', () => {
    fc.assert(
      fc.property(fc.array(resource, { maxLength: 6 }), styles, fc.boolean(), (items, style, configFirst) => {
        const list = configFirst
          ? { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', functionConfig: { data: { a: 'b' } }, items }
          : { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig: { data: { a: 'b' } } };
        const text = stringify(list, style);
        const expected = (parse(text) as { items: unknown[] | null }).items ?? [];
        const framing = frameResourceList(text);
        if (framing.kind === 'items') {
          expect(framing.starts.length).toBe(expected.length);
          chunksOf(text, framing).forEach((chunk, i) => {
            expect(parse(chunk)).toEqual([expected[i]]);
          });
          expect(parse(framing.skeleton).functionConfig).toEqual({ data: { a: 'b' } });
        }
        // Whichever way it was cut (quoted keys send it to the full parser), the items are the parser's.
        const asStrings = (parse(text, { schema: 'failsafe' }) as { items: unknown[] | null }).items ?? [];
        expect(
          readResourceList(text)
            .items.all()
            .map((item) => item.parsed.value),
        ).toEqual(asStrings);
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with the parser when comment lines are sprinkled anywhere', () => {
    fc.assert(
      fc.property(fc.array(resource, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(6)), { maxLength: 6 }), (items, comments) => {
        const lines = stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items }).split('\n');
        for (const [at, indent] of comments) lines.splice(3 + (at % Math.max(1, lines.length - 3)), 0, `${' '.repeat(indent)}# c`);
        const text = lines.join('\n');
        const doc = parseDocument(text, { schema: 'failsafe' });
        fc.pre(doc.errors.length === 0);
        const expected = (doc.toJS() as { items: unknown[] | null }).items ?? [];
        expect(
          readResourceList(text)
            .items.all()
            .map((item) => item.parsed.value),
        ).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps comments with the item they follow and copies chunks exactly', () => {
    const text = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1 # first
  kind: ConfigMap
  data:
    text: |
      - not an item
     # still inside? no: the block scalar ended
# a comment at column 0 inside the list
- apiVersion: v1
  kind: ConfigMap
functionConfig:
  data: {}
`;
    // The block scalar above is ended by the less-indented comment line; the parser agrees.
    const framing = frameResourceList(text);
    expect(framing.kind).toBe('items');
    if (framing.kind !== 'items') return;
    expect(framing.starts).toHaveLength(2);
    expect(chunksOf(text, framing).join('')).toBe(text.slice(text.indexOf('- apiVersion'), text.indexOf('functionConfig')));
    expect(parseDocument(text).errors).toEqual([]);
  });

  it('reads lines that start with a tab, a CR or nothing as the parser does', () => {
    const text = [
      'apiVersion: config.kubernetes.io/v1',
      'kind: ResourceList',
      'items:',
      '\t',
      '- kind: A # first',
      '  data:',
      '    x: "1"\r',
      '# between, at column 0',
      '\t# a tabbed comment',
      '-',
      '  kind: B',
      '- kind: C',
      'functionConfig: {}',
    ].join('\n');
    const framing = frameResourceList(text);
    if (framing.kind !== 'items') throw new Error('not framed');
    expect(chunksOf(text, framing).map((chunk) => parse(chunk))).toEqual((parse(text) as { items: unknown[] }).items.map((item) => [item]));
    expect(chunksOf(text, framing).join('')).toBe(text.slice(text.indexOf('- kind: A'), text.indexOf('functionConfig')));
  });

  it('hands flow-style and JSON lists to the full parser', () => {
    expect(frameResourceList('{"apiVersion":"config.kubernetes.io/v1","kind":"ResourceList","items":[]}').kind).toBe('flow');
    expect(frameResourceList('apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{a: 1}]\n').kind).toBe('flow');
    const list = readResourceList(
      JSON.stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', data: { n: '0755' } }] }),
    );
    expect(list.items).toHaveLength(1);
    expect(list.items.item(0).parsed.value).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { n: '0755' } });
  });
});

describe('ItemList', () => {
  it('cut from the input, it writes and searches exactly as the same items made one by one', () => {
    fc.assert(
      fc.property(
        fc.array(resource, { minLength: 1, maxLength: 6 }),
        styles,
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 4 }),
        (resources, style, bom, noFinalBreak, a, b, needle) => {
          const list = stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: resources }, style);
          const text = `${bom ? '\uFEFF' : ''}${noFinalBreak ? list.replace(/\n$/, '') : list}`;
          const cut = readResourceList(text).items;
          fc.pre(cut.cut !== undefined);
          const made = ItemList.of(cut.all().map((item, i) => new SourceItem(item.text, i, true)));
          const [from, to] = [a % (cut.length + 1), b % (cut.length + 1)].sort((x, y) => x - y) as [number, number];
          const run = (items: ItemList): OutputItem[] => [{ kind: 'sources', items, from, to }];
          expect(writeResourceList('config.kubernetes.io/v1', 0, run(cut), [])).toBe(writeResourceList('config.kubernetes.io/v1', 0, run(made), []));
          for (const n of [needle.replace(/[\r\n]/g, ''), 'kind: Thing', 'name']) {
            expect(cut.mentions(n)).toBe(made.all().some((item) => item.text.includes(n)));
          }
          // Only what was asked for was made.
          const fresh = readResourceList(text).items;
          fresh.textOf(0);
          expect(fresh.madeBetween(0, fresh.length)).toEqual([]);
          expect(fresh.indexOf(fresh.item(fresh.length - 1))).toBe(fresh.length - 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('frameStream', () => {
  it('splits documents at --- and ... lines', () => {
    const docs = frameStream('a: 1\n---\nb: 2\n...\n--- \nc: |\n  ---x\n---\n# only a comment\n');
    expect(docs.chunks.map((c) => parse(c))).toEqual([{ a: 1 }, { b: 2 }, { c: '---x\n' }]);
  });
});

describe('a ResourceList with nothing of ours', () => {
  it('comes out with every item byte-identical (the kube-prometheus corpus)', () => {
    const dir = corpusDir;
    const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(join(dir, 'setup')).map((f) => join(dir, 'setup', f))].filter((f) =>
      f.endsWith('.yaml'),
    );
    const items = files.map((f) => readFileSync(f, 'utf8'));
    const text = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items
      .map((t) =>
        t
          .replace(/^---\n/, '')
          .trimEnd()
          .split('\n')
          .map((l, i) => (i === 0 ? `- ${l}` : l === '' ? '' : `  ${l}`))
          .join('\n'),
      )
      .join('\n')}\n`;
    const list = readResourceList(text);
    expect(list.items.length).toBe(items.length);
    const out = writeResourceList(list.apiVersion, list.indent, [{ kind: 'sources', items: list.items, from: 0, to: list.items.length }], []);
    expect(out).toBe(text);
    expect(list.items.madeBetween(0, list.items.length)).toEqual([]);
  });
});
