// The test vectors of docs/FORMAT.md, checked against the implementation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../functions/crypto/envelope.js';
import { AgeProvider } from '../../functions/providers/age.js';
import { encryptionContext } from '../../functions/token/binding.js';
import { isTokenProblem, parseToken, type Token } from '../../functions/token/token.js';
import { repoRoot } from '../helpers/run.js';

const doc = readFileSync(join(repoRoot, 'docs', 'FORMAT.md'), 'utf8');
const vectors = [...doc.matchAll(/```text vector:(\S+)\n([\s\S]*?)```/g)].map(([, name, body]) => ({
  name: name as string,
  fields: Object.fromEntries((body as string).trim().split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])) as Record<string, string>,
}));

describe('docs/FORMAT.md test vectors', () => {
  it('are there', () => {
    expect(vectors.map((v) => v.name)).toEqual(['age-strict', 'aws-namespace-wide']);
  });

  for (const { name, fields } of vectors) {
    it(name, async () => {
      const parsed = parseToken(fields.token as string);
      if (isTokenProblem(parsed)) throw new Error(parsed.problem);
      const token: Token = parsed;
      const [, , , headerText] = (fields.token as string).split(':');
      expect(Buffer.from(headerText as string, 'base64url').toString()).toBe(fields.header);
      const sealed = Buffer.from(token.sealed);
      expect(sealed.subarray(0, 12).toString('hex')).toBe(fields.nonce);
      const dataKey = new Uint8Array(Buffer.from(fields['data key'] as string, 'hex'));
      expect(new TextDecoder().decode(open(dataKey, token.sealed, token.aad))).toBe(fields.plaintext);
      expect(Buffer.from(token.aad).toString()).toBe(fields.aad);
      if (fields['encryption context']) expect(encryptionContext(token.binding)).toEqual(JSON.parse(fields['encryption context']));
      if (fields.identity) {
        const unwrapped = await new AgeProvider({ KMSECRET_AGE_KEY: fields.identity }).unwrapDataKey(token.wrappedKey, token.keyId, {});
        expect(Buffer.from(unwrapped).toString('hex')).toBe(fields['data key']);
        expect(token.keyId).toBe(fields.recipient);
      }
    });
  }
});
