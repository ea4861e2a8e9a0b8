// The quick way through (functions/krm/pass-through.ts) writes exactly what the full path
// writes, and steps aside whenever the full path has anything to read or check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OutputPart, partsText, pushPart, writeParts } from '../../functions/krm/output.js';
import { passThrough } from '../../functions/krm/pass-through.js';
import { renderText } from '../helpers/render.js';
import { resourceList, yaml } from '../helpers/resource-list.js';

const kptConfig = 'metadata:\n  name: function-input\ndata: {}\nkind: ConfigMap\napiVersion: v1\n';

describe('passThrough', () => {
  it('answers an empty list, a list without anything of ours, and kpt’s default config, as the full path does', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c # keep\ndata:\n  date: 2020-01-01\n';
    for (const text of [
      resourceList([]),
      resourceList([cm, cm.replace('name: c', 'name: d')]),
      resourceList([cm], kptConfig),
      resourceList([cm.replace('# keep', '# keep\n  label: "caf\\u00e9 \\x41"')]),
      'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n',
    ]) {
      const quick = passThrough(text);
      expect(quick, text).toBeDefined();
      expect(partsText(quick ?? [])).toBe(await renderText(text, {}));
    }
  });

  it('steps aside for anything the full path must read: a marker of ours, another config, JSON, a wrong kind', () => {
    for (const text of [
      resourceList(['kind: X\nnote: kmsecret\n']),
      resourceList(['kind: X\nenv: KMS_ENCRYPTED_A\n']),
      resourceList(['kind: X\nx: "\\x6bmsecret"\n']),
      resourceList(['kind: X\nx: "KMS\\u005fENCRYPTED_"\n']),
      resourceList(['kind: X\nx: !!%62inary YQ==\n']),
      resourceList(['kind: X\nx: "kmse\\\u2028cret:"\n']),
      resourceList([], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  mdoe: placeholder\n'),
      resourceList([], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n  envPrefixes: ENC_\n'),
      '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []}',
      'apiVersion: v1\nkind: List\nitems: []\n',
    ]) {
      expect(passThrough(text), text).toBeUndefined();
    }
  });

  it('agrees with the full path on thousands of random lists', async () => {
    const scalar = fc.oneof(fc.string(), fc.constantFrom('2020-01-01', '0755', '~', 'yes', '"', "'", '#', '- x', 'a: b'), fc.integer(), fc.boolean());
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    const resource = fc.record({
      apiVersion: fc.constantFrom('v1', 'apps/v1'),
      kind: fc.constantFrom('ConfigMap', 'Secret', 'Widget'),
      metadata: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/) }),
      spec: value,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(resource, { maxLength: 4 }), async (items) => {
        const text = yaml({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items });
        const quick = passThrough(text);
        if (quick !== undefined) expect(partsText(quick)).toBe(await renderText(text, {}));
      }),
      { numRuns: 500 },
    );
  });
});

describe('writeParts', () => {
  const written = (parts: OutputPart[], text: string, ascii: boolean) => {
    const chunks: Array<string | Uint8Array> = [];
    writeParts(parts, ascii ? { text, asciiBytes: Buffer.from(text) } : { text }, (chunk) => chunks.push(chunk));
    return { chunks, bytes: Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).toString() };
  };
  const input = 'apiVersion: v1\nitems:\n- a: 1\n- b: 2\n- c: 3\n';
  const slice = (from: number, to: number): OutputPart => ({ input, from, to });
  const a = input.indexOf('- a');
  const b = input.indexOf('- b');
  const c = input.indexOf('- c');

  it('writes the input’s own bytes for adjacent ranges, once, and new text as text', () => {
    const parts: OutputPart[] = [];
    for (const part of ['head\n', slice(a, b), slice(b, c), 'new\n', slice(c, input.length)]) pushPart(parts, part);
    expect(parts).toHaveLength(4);
    const out = written(parts, input, true);
    expect(out.bytes).toBe(partsText(parts));
    expect(out.chunks.map((c) => (typeof c === 'string' ? 'text' : 'bytes'))).toEqual(['text', 'bytes', 'text', 'bytes']);
  });

  it('writes text where the input is not ASCII', () => {
    const parts: OutputPart[] = [slice(a, b), slice(c, input.length)];
    const out = written(parts, input, false);
    expect(out.chunks.every((chunk) => typeof chunk === 'string')).toBe(true);
    expect(out.bytes).toBe(partsText(parts));
  });
});
