// Editing a KmsSecret file by splicing (functions/cli/kmssecret-file.ts): only the
// lines of the keys that change; every other byte stays.
import { describe, expect, it } from 'vitest';
import { editData, newKmsSecretText, parseFile, selectKmsSecret } from '../../functions/cli/kmssecret-file.js';

const token = (n: number) => `kmsecret:v2:age:${'A'.repeat(40)}:${'B'.repeat(40)}:${String(n).repeat(40)}`;
const file = `# team secrets
apiVersion: kmsecret.dev/v1alpha1
kind: KmsSecret
metadata:
  name: app   # the web app
  namespace: team-a
data:
  B: ${token(1)} # rotated yearly
  D: '${token(2)}'
---
apiVersion: kmsecret.dev/v1alpha1
kind: KmsSecret
metadata:
  name: other
data: {}
`;

describe('editData', () => {
  const parsed = parseFile(file, 'f.yaml');

  it('replaces a value in place, keeping its quoting and comment, and adds keys in sorted position', () => {
    const target = selectKmsSecret(parsed, 'app');
    const out = editData(parsed, target, {
      set: new Map([
        ['B', token(3)],
        ['D', token(4)],
        ['C', token(5)],
        ['EXTRA', token(6)],
      ]),
      unset: new Set(),
    });
    expect(out).toBe(
      file
        .replace(`  B: ${token(1)} # rotated yearly`, `  B: ${token(3)} # rotated yearly\n  C: ${token(5)}`)
        .replace(`  D: '${token(2)}'`, `  D: '${token(4)}'\n  EXTRA: ${token(6)}`),
    );
  });

  it('removes exactly the lines of unset keys, and fills an empty data mapping', () => {
    const app = selectKmsSecret(parsed, 'app');
    expect(editData(parsed, app, { set: new Map(), unset: new Set(['B']) })).toBe(file.replace(`  B: ${token(1)} # rotated yearly\n`, ''));
    const other = selectKmsSecret(parsed, 'other');
    expect(editData(parsed, other, { set: new Map([['X', token(7)]]), unset: new Set() })).toBe(file.replace('data: {}\n', `data:\n  X: ${token(7)}\n`));
  });

  it('needs --name when a file holds several KmsSecrets, and says which there are', () => {
    expect(() => selectKmsSecret(parsed, undefined)).toThrow(/holds 2 KmsSecrets/);
    expect(() => selectKmsSecret(parsed, 'nope')).toThrow(/has no KmsSecret named nope/);
  });

  it('writes a new KmsSecret with its keys sorted, tokens as plain scalars', () => {
    const text = newKmsSecretText({
      name: 'web',
      namespace: 'ns',
      type: 'Opaque',
      labels: {},
      annotations: {},
      data: [
        ['Z', token(1)],
        ['A', token(2)],
      ],
    });
    expect(text).toBe(
      `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecret\nmetadata:\n  name: web\n  namespace: ns\ntype: Opaque\ndata:\n  A: ${token(2)}\n  Z: ${token(1)}\n`,
    );
  });
});
