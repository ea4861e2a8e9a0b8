// Parsing with token stand-ins means exactly what parsing the text as it is means.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChunk, writeNode } from '../../functions/krm/yaml.js';

const token = fc
  .tuple(fc.constantFrom('aws', 'age'), fc.stringMatching(/^[A-Za-z0-9_-]{40,90}$/), fc.stringMatching(/^[A-Za-z0-9_-]{20,60}$/))
  .map(([p, a, b]) => `kmsecret:v2:${p}:${a}:${b}:${a.slice(0, 30)}`);

// Each place gets a key of its own (k0, k1, …) so entries never collide.
const places: Array<(t: string, k: string) => string> = [
  (t, k) => `  ${k}: ${t}\n`,
  (t, k) => `  ${k}: '${t}'\n`,
  (t, k) => `  ${k}: "${t}"\n`,
  (t, k) => `  ${k}: ${t} # trailing ${t}\n`,
  (t, k) => `  # before: ${t}\n  ${k}: x\n`,
  (t, k) => `  ${k}: |\n    ${t}\n    more ${t}\n`,
  (t, k) => `  ${k}: {k: ${t}, l: [${t}]}\n`,
  (t, k) => `  ${t}${k}: as a key\n`,
  (t, k) => `  ${k}: ${t.slice(0, 50)}\n    ${t.slice(50)}\n`,
];

describe('token stand-ins', () => {
  it('give the same values and the same written YAML as parsing the text itself', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(token, fc.nat(places.length - 1)), { minLength: 1, maxLength: 6 }), (entries) => {
        const text = `- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x # ${entries[0]?.[0]}\n  data:\n${entries.map(([t, i], n) => (places[i] as (t: string, k: string) => string)(t, `k${n}`).replace(/^ {2}/gm, '    ')).join('')}`;
        const plain = parseChunk(text, true, {}, undefined, false);
        const swapped = parseChunk(text, true, {}, undefined, true);
        expect(swapped.value).toEqual(plain.value);
        expect(writeNode(swapped.node, true, 0)).toBe(writeNode(plain.node, true, 0));
      }),
      { numRuns: 300 },
    );
  });
});
