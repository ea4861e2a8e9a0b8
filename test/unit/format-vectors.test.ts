// The test vectors of docs/FORMAT.md and docs/token-vectors.json, checked against the implementation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgeProvider } from '../../functions/providers/age.js';
import { encryptionContext } from '../../functions/token/binding.js';
import { openToken } from '../../functions/token/sealer.js';
import { isTokenProblem, parseToken, type Token } from '../../functions/token/token.js';
import { repoRoot } from '../helpers/run.js';

const doc = readFileSync(join(repoRoot, 'docs', 'FORMAT.md'), 'utf8');
const vectors = [...doc.matchAll(/```text vector:(\S+)\n([\s\S]*?)```/g)].map(([, name, body]) => ({
  name: name as string,
  fields: Object.fromEntries(
    (body as string)
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  ) as Record<string, string>,
}));
const json = JSON.parse(readFileSync(join(repoRoot, 'docs', 'token-vectors.json'), 'utf8')) as {
  valid: Array<{ name: string; token: string; dataKey: string; plaintext: string }>;
  invalid: Array<{ name: string; token: string; code: string }>;
};

function parsed(text: string): Token {
  const token = parseToken(text);
  if (isTokenProblem(token)) throw new Error(token.problem);
  return token;
}

describe('docs/FORMAT.md test vectors', () => {
  it('are there, and are the valid vectors of docs/token-vectors.json', () => {
    expect(vectors.map((v) => v.name)).toEqual(['age-strict', 'aws-namespace-wide-env']);
    expect(json.valid.map((v) => v.token)).toEqual(vectors.map((v) => v.fields.token));
  });

  for (const { name, fields } of vectors) {
    it(name, async () => {
      const token = parsed(fields.token as string);
      const [, , , headerText] = (fields.token as string).split(':');
      expect(Buffer.from(headerText as string, 'base64url').toString()).toBe(fields.header);
      expect(Buffer.from(token.sealed).subarray(0, 12).toString('hex')).toBe(fields.nonce);
      const dataKey = new Uint8Array(Buffer.from(fields['data key'] as string, 'hex'));
      expect(new TextDecoder().decode(openToken(token, dataKey))).toBe(fields.plaintext);
      expect(Buffer.from(token.aad).toString()).toBe(fields.aad);
      expect(encryptionContext(token.binding)).toEqual(JSON.parse(fields['encryption context'] as string));
      if (fields.identity) {
        const unwrapped = await new AgeProvider({ key: fields.identity, defaultKeyFile: '/nonexistent' }).unwrapDataKey(token.wrappedKey);
        expect(Buffer.from(unwrapped.plaintext).toString('hex')).toBe(fields['data key']);
        expect(token.keyId).toBe(fields.recipient);
      }
    });
  }
});

describe('docs/token-vectors.json invalid vectors', () => {
  it('cover every problem code', () => {
    expect(new Set(json.invalid.map((v) => v.code))).toEqual(
      new Set([
        'not-a-token',
        'v1',
        'unknown-version',
        'malformed',
        'unknown-provider',
        'bad-header',
        'bad-key-id',
        'bad-binding',
        'bad-wrapped-key',
        'wrapped-key-too-large',
        'bad-sealed-value',
      ]),
    );
  });

  it.each(json.invalid.map((v) => [v.name, v.token, v.code] as const))('%s → %s', (_, token, code) => {
    const result = parseToken(token);
    expect(isTokenProblem(result) ? result.code : 'parsed').toBe(code);
    // A problem's words never repeat the token's text.
    if (isTokenProblem(result)) expect(`${result.problem} ${result.hint}`).not.toMatch(/[\u0000-\u001f]|::error|alice|Team_A/);
  });
});
