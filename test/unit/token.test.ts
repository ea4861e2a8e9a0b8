import { describe, expect, it } from 'vitest';
import { newKey, open, seal } from '../../functions/crypto/aes-gcm.js';
import { contextId } from '../../functions/keys/key-service.js';
import { type Binding, bindingFor, encryptionContext, sameBinding, sameEncryptionContext, scopes, uses } from '../../functions/token/binding.js';
import { fingerprint } from '../../functions/token/fingerprint.js';
import { openToken } from '../../functions/token/sealer.js';
import { isTokenProblem, looksLikeToken, parseToken, rewrapped, sealedPart, tokenPattern, type Token } from '../../functions/token/token.js';
import { ageKey, sealerFor } from '../helpers/fixtures.js';

const home = { use: 'secret' as const, scope: 'strict' as const, namespace: 'team-a', name: 'app-secrets' };

async function ageSealer() {
  const key = await ageKey();
  return { provider: key.provider, sealer: await sealerFor(key.provider, key.recipient, home), recipient: key.recipient };
}

function parsed(text: string): Token {
  const token = parseToken(text);
  if (isTokenProblem(token)) throw new Error(token.problem);
  return token;
}

describe('AES-256-GCM', () => {
  it('round-trips any bytes, including empty and large values', () => {
    const key = newKey();
    for (const size of [0, 1, 4096, 4097, 1 << 20]) {
      const value = new Uint8Array(Buffer.alloc(size, 'kmsecret'));
      const sealed = seal(key, value, new Uint8Array([1, 2, 3]));
      expect(Buffer.from(open(key, sealed, new Uint8Array([1, 2, 3])) ?? []).equals(value)).toBe(true);
    }
  });

  it('refuses other associated data, another key, a flipped bit and truncation', () => {
    const key = newKey();
    const sealed = seal(key, new TextEncoder().encode('s3cr3t'), new Uint8Array([1]));
    expect(open(key, sealed, new Uint8Array([2]))).toBeUndefined();
    expect(open(newKey(), sealed, new Uint8Array([1]))).toBeUndefined();
    for (let i = 0; i < sealed.length; i++) {
      const flipped = sealed.slice();
      flipped[i] = (flipped[i] as number) ^ 0x01;
      expect(open(key, flipped, new Uint8Array([1]))).toBeUndefined();
    }
    expect(open(key, sealed.subarray(0, sealed.length - 1), new Uint8Array([1]))).toBeUndefined();
    expect(open(key, sealed.subarray(0, 10), new Uint8Array([1]))).toBeUndefined();
  });
});

describe('token', () => {
  it('is one plain YAML scalar that names its provider, key and binding', async () => {
    const { sealer, recipient } = await ageSealer();
    const text = sealer.seal('DB_PASSWORD', new TextEncoder().encode('s3cr3t'));
    expect(text).toMatch(/^kmsecret:v2:age:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(looksLikeToken(text)).toBe(true);
    expect(tokenPattern.test(`x ${text} y`)).toBe(true);
    const token = parsed(text);
    expect(token.provider).toBe('age');
    expect(token.keyId).toBe(recipient);
    expect(token.binding).toEqual({ use: 'secret', scope: 'strict', namespace: 'team-a', name: 'app-secrets', key: 'DB_PASSWORD' });
  });

  it('refuses a field that is not the one canonical spelling of its bytes (a cut or an edit)', async () => {
    const { sealer } = await ageSealer();
    const text = sealer.seal('DB_PASSWORD', new TextEncoder().encode('s3cr3t'));
    const sealed = sealedPart(text);
    // 34 sealed bytes: the last character carries 2 bits and 4 unused ones, which must be zero.
    const last = sealed.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const unused = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const edited = text.slice(0, -1) + unused;
    const problem = parseToken(edited);
    expect(isTokenProblem(problem) && problem.code).toBe('bad-sealed-value');
    expect(isTokenProblem(parseToken(text.slice(0, -1)))).toBe(true);
  });

  it('shares one data key among the values of one sealer', async () => {
    const { sealer } = await ageSealer();
    const a = parsed(sealer.seal('A', new Uint8Array([1])));
    const b = parsed(sealer.seal('B', new Uint8Array([2])));
    expect(a.wrappedKeyText).toBe(b.wrappedKeyText);
  });

  it('opens with its data key and its binding as associated data', async () => {
    const { sealer, provider } = await ageSealer();
    const token = parsed(sealer.seal('K', new TextEncoder().encode('value')));
    const dataKey = await provider.unwrapDataKey(token.wrappedKey, token.keyId, encryptionContext(token.binding), new AbortController().signal);
    expect(new TextDecoder().decode(openToken(token, dataKey.plaintext))).toBe('value');
    // The same sealed value under an edited binding does not open.
    expect(
      openToken({ ...token, aad: new TextEncoder().encode('kmsecret:v2:["env","strict","team-a","app-secrets","K"]') }, dataKey.plaintext),
    ).toBeUndefined();
  });

  it('keeps its sealed value when its data key is re-wrapped (rotate)', async () => {
    const { sealer, recipient } = await ageSealer();
    const text = sealer.seal('K', new TextEncoder().encode('value'));
    const token = parsed(text);
    const other = rewrapped(token, 'age', recipient, new TextEncoder().encode('age-encryption.org/v1\n-> X25519 x\ny\n--- z\n'));
    expect(sealedPart(other)).toBe(sealedPart(text));
    expect(parsed(other).wrappedKeyText).not.toBe(token.wrappedKeyText);
  });

  it('shows in git as a fingerprint of its key, binding, data key and value', async () => {
    const { sealer, recipient } = await ageSealer();
    const a = sealer.seal('K', new TextEncoder().encode('one'));
    const b = sealer.seal('K', new TextEncoder().encode('two'));
    expect(fingerprint(a)).toMatch(new RegExp(`^kmsecret:v2:age key=${recipient} use=secret scope=strict datakey=[0-9a-f]{10} value=[0-9a-f]{10}$`));
    expect(fingerprint(a)?.replace(/value=.*/, '')).toBe(fingerprint(b)?.replace(/value=.*/, ''));
    expect(fingerprint(a)).not.toBe(fingerprint(b));
    expect(fingerprint('kmsecret:v2:broken')).toBeUndefined();
  });
});

describe('binding', () => {
  it('binds what each scope says, and always what the value is for', () => {
    const at = { use: 'secret' as const, namespace: 'ns', name: 'n', key: 'k' };
    expect(bindingFor('strict', at)).toEqual({ use: 'secret', scope: 'strict', namespace: 'ns', name: 'n', key: 'k' });
    expect(bindingFor('namespace-wide', at)).toEqual({ use: 'secret', scope: 'namespace-wide', namespace: 'ns', name: '', key: 'k' });
    expect(bindingFor('cluster-wide', at)).toEqual({ use: 'secret', scope: 'cluster-wide', namespace: '', name: '', key: 'k' });
    expect(sameBinding(bindingFor('namespace-wide', at), bindingFor('namespace-wide', { ...at, name: 'other' }))).toBe(true);
    expect(sameBinding(bindingFor('strict', at), bindingFor('strict', { ...at, use: 'env' }))).toBe(false);
  });

  it('gives KMS a context of use, scope, namespace and name, the same for every key of one Secret', () => {
    expect(encryptionContext(bindingFor('strict', { use: 'secret', namespace: 'ns', name: 'n', key: 'a' }))).toEqual({
      'kmsecret:use': 'secret',
      'kmsecret:scope': 'strict',
      'kmsecret:namespace': 'ns',
      'kmsecret:name': 'n',
    });
    expect(encryptionContext(bindingFor('namespace-wide', { use: 'env', namespace: 'ns', name: 'n', key: 'a' }))).toEqual({
      'kmsecret:use': 'env',
      'kmsecret:scope': 'namespace-wide',
      'kmsecret:namespace': 'ns',
    });
    expect(encryptionContext(bindingFor('cluster-wide', { use: 'secret', namespace: 'ns', name: 'n', key: 'a' }))).toEqual({
      'kmsecret:use': 'secret',
      'kmsecret:scope': 'cluster-wide',
    });
  });

  it('sameEncryptionContext says what comparing the contexts says, for every pair of bindings', () => {
    // Values are grouped by it (render/values.ts): a pair it got wrong would open a value with a
    // data key unwrapped under another context.
    const bindings: Binding[] = [];
    for (const use of uses)
      for (const scope of scopes)
        for (const namespace of ['', 'a', 'b']) for (const name of ['', 'a', 'b']) bindings.push({ use, scope, namespace, name, key: namespace });
    for (const a of bindings)
      for (const b of bindings) expect(sameEncryptionContext(a, b)).toBe(contextId(encryptionContext(a)) === contextId(encryptionContext(b)));
  });
});
