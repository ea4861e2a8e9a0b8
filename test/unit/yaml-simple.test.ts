// readSimpleMapping (functions/krm/yaml.ts) reads the documents kmsecret writes
// without the `yaml` package. Whatever it accepts must mean exactly what the
// `yaml` package reads (failsafe, unique keys): these tests throw near misses at
// it — every character YAML gives a meaning to, odd indents, openers with
// nothing under them, blank lines, comments, CRs, tabs — and compare.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { parseChunk, readSimpleMapping } from '../../functions/krm/yaml.js';
import { ageKey, kmsSecretYaml } from '../helpers/fixtures.js';

const yamlReads = (text: string): { errors: number; value: unknown } => {
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: true });
  return { errors: doc.errors.length, value: doc.toJS() };
};

const plain = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,6}$/);
const tricky = fc.constantFrom(
  '',
  ' ',
  'a b',
  'a:b',
  'a:',
  'a::',
  ':a',
  'a: b',
  'a #b',
  'a#b',
  '#a',
  '-a',
  '- a',
  '-',
  '.5',
  '...',
  '---',
  '?a',
  '? a',
  '&a',
  '*a',
  '!a',
  '!!binary',
  '%a',
  '@a',
  '`a',
  '|',
  '>-',
  '"a"',
  "'a'",
  '{a: b}',
  '[a]',
  '<<',
  '~',
  'null',
  'true',
  '0x1F',
  '1e3',
  'a\tb',
  '\ta',
  'a\r',
  'é',
  'a,b',
  '=a',
  'a=',
  '+1',
  'a+b/c=',
  'kmsecret:v2:aws:eyJ9:abc_-:def',
  'http://x',
  'a/b.c-d',
  '__proto__',
  'constructor',
);
const scalar = fc.oneof(plain, tricky);
const line = fc.oneof(
  fc.record({ indent: fc.nat(6), key: scalar, value: scalar }).map(({ indent, key, value }) => `${' '.repeat(indent)}${key}: ${value}`),
  fc.record({ indent: fc.nat(6), key: scalar }).map(({ indent, key }) => `${' '.repeat(indent)}${key}:`),
  fc.record({ indent: fc.nat(6), text: scalar }).map(({ indent, text }) => `${' '.repeat(indent)}${text}`),
  fc.record({ indent: fc.nat(6), text: scalar }).map(({ indent, text }) => `${' '.repeat(indent)}- ${text}`),
  fc.constantFrom('', '# c', '  # c', '---', '...', 'a: b # c', 'a:  b', 'a: b ', 'a:\tb', '\ta: b', 'a: b\r', 'a :b', 'a : b'),
);
const nearMiss = fc.tuple(fc.array(line, { minLength: 1, maxLength: 8 }), fc.boolean()).map(([lines, end]) => lines.join('\n') + (end ? '\n' : ''));

// What kmsecret writes: nested mappings of plain scalars, as the yaml package writes them, and
// sequences of them at their key's indent (as kustomize writes a KmsSecretGenerator's `files:`).
const key = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,8}$/);
const value = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,12}$/).filter((v) => !v.endsWith(':'));
const mapping = fc.letrec((tie) => ({
  map: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, value, fc.array(value, { minLength: 1, maxLength: 3 }), tie('map')), { minKeys: 1, maxKeys: 4 }),
})).map as fc.Arbitrary<Record<string, unknown>>;

const written = { lineWidth: 0, indentSeq: false } as const;

// A written document with one character put in, taken out or changed: the closest misses.
const mutated = fc
  .tuple(mapping, fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...' :#-?&*!%@`|>"\'{}[],<~\t\r\n.=+/_aZ09é'))
  .map(([value, at, how, c]) => {
    const text = stringify(value, written);
    const i = at % (text.length + 1);
    return how === 'insert' ? text.slice(0, i) + c + text.slice(i) : text.slice(0, i) + (how === 'replace' ? c : '') + text.slice(i + 1);
  });

describe('readSimpleMapping', () => {
  it('what it reads, the yaml package reads the same, with no error (near misses)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(nearMiss, mutated), (text) => {
        const fast = readSimpleMapping(text);
        if (fast === undefined) return;
        accepted++;
        const slow = yamlReads(text);
        expect(slow.errors).toBe(0);
        expect(fast).toEqual(slow.value);
      }),
      { numRuns: 20_000 },
    );
    // Not vacuous: a good share of the near misses were read (the mutations that change nothing
    // YAML cares about, like a letter for a letter).
    expect(accepted).toBeGreaterThan(500);
  });

  it('reads the documents kmsecret and the yaml package write, as the yaml package does', () => {
    fc.assert(
      fc.property(mapping, (value) => {
        const text = stringify(value, written);
        const fast = readSimpleMapping(text);
        // A key or value the writer had to quote is not for this reader; every other one is.
        if (/["'|>]/.test(text)) return;
        expect(fast).toEqual(yamlReads(text).value);
      }),
      { numRuns: 3000 },
    );
  });

  it("reads kmsecret's own KmsSecret files, so the generator form does not pay for the yaml package", async () => {
    const key = await ageKey();
    const text = await kmsSecretYaml(key.provider, key.recipient, {
      name: 'app-secrets',
      namespace: 'team-a',
      labels: { app: 'web' },
      data: { DB_PASSWORD: 'hunter2', 'tls.key': 'k' },
    });
    expect(readSimpleMapping(text)).toEqual(yamlReads(text).value);
  });

  it('reads a KmsSecretGenerator config as kustomize hands it to the plugin (files: a sequence at its key)', () => {
    const text =
      'apiVersion: kmsecret.dev/v1alpha1\nfiles:\n- a.yaml\n- b/c.kmsecret.yaml\nkind: KmsSecretGenerator\nmetadata:\n  name: secrets\n  namespace: team-a\n';
    expect(readSimpleMapping(text)).toEqual(yamlReads(text).value);
    expect(readSimpleMapping(text)).toMatchObject({ files: ['a.yaml', 'b/c.kmsecret.yaml'] });
    // Indented items, a mapping in an item, or an item after a key line are for the yaml package.
    for (const other of ['files:\n  - a.yaml\n', 'files:\n- a: b\n', 'kind: X\n- a.yaml\n', 'files:\n- a\n  - b\n'])
      expect(readSimpleMapping(other)).toBeUndefined();
  });

  it('parseChunk gives the same resource either way, and the AST when an edit asks for it', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    x: y\ndata:\n  k: v\n';
    const fast = parseChunk(text, false, {});
    const slow = parseChunk(`${text}# a comment sends it to the yaml package\n`, false, {});
    expect(fast.value).toEqual(slow.value);
    expect(fast.node.toJSON()).toEqual(slow.node.toJSON());
    expect(fast.doc.toString()).toBe(text);
  });
});
