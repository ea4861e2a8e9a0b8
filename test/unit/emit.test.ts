// The emitter's output reads back as exactly what it was given, under every schema.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emitResource, type Emittable } from '../../functions/krm/emit.js';

const text = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '2020-01-01',
    '0755',
    '1.10',
    '~',
    'null',
    'yes',
    'No',
    '12345678901234567890',
    '.5',
    '.inf',
    '0x1F',
    '+1',
    '-',
    '- x',
    'a: b',
    '#c',
    'a #b',
    '',
    ' lead',
    'trail ',
    'dGVzdA==',
    '1e3',
    '=',
    '.',
    '/path',
    'x\ny',
    '"q"',
    "'s'",
  ),
);
const value: fc.Arbitrary<Emittable> = fc.letrec<{ v: Emittable }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, text, fc.dictionary(text, tie('v'), { maxKeys: 4 }), fc.array(tie('v'), { maxLength: 3 })),
})).v;

describe('emitResource', () => {
  it('round-trips through the core and the YAML 1.1 schemas, as a document and as a list item', () => {
    fc.assert(
      fc.property(fc.dictionary(text, value, { minKeys: 1, maxKeys: 5 }), fc.nat(4), (resource, column) => {
        for (const version of ['1.2', '1.1'] as const) {
          expect(parse(emitResource(resource, false, 0), { version })).toEqual(resource);
          expect(parse(emitResource(resource, true, column), { version })).toEqual([resource]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('writes a Secret plainly', () => {
    expect(
      emitResource(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: 'team-a' }, type: 'Opaque', data: { 'tls.crt': 'LS0t', PIN: '1234' } },
        true,
        0,
      ),
    ).toBe(
      '- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: app\n    namespace: team-a\n  type: Opaque\n  data:\n    tls.crt: LS0t\n    PIN: "1234"\n',
    );
  });
});
