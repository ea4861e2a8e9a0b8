import { describe, expect, it } from 'vitest';
import { newDataKey, open, seal } from '../../functions/crypto/envelope.js';
import { Sealer } from '../../functions/crypto/sealer.js';
import { AgeProvider, generateAgeIdentity } from '../../functions/providers/age.js';
import { bindingFor, encryptionContext, sameBinding } from '../../functions/token/binding.js';
import { isTokenProblem, looksLikeToken, parseToken, tokenPattern, type Token } from '../../functions/token/token.js';

const home = { scope: 'strict' as const, namespace: 'team-a', name: 'app-secrets' };

async function ageSealer() {
  const { identity, recipient } = await generateAgeIdentity();
  const provider = new AgeProvider({ KMSECRET_AGE_KEY: identity });
  return { provider, sealer: await Sealer.create(provider, recipient, home), recipient };
}

function parsed(text: string): Token {
  const token = parseToken(text);
  if (isTokenProblem(token)) throw new Error(token.problem);
  return token;
}

describe('envelope', () => {
  it('round-trips any bytes, including empty and large values', () => {
    const key = newDataKey();
    for (const size of [0, 1, 4096, 4097, 1 << 20]) {
      const value = new Uint8Array(Buffer.alloc(size, 'kmsecret'));
      const sealed = seal(key, value, new Uint8Array([1, 2, 3]));
      expect(Buffer.from(open(key, sealed, new Uint8Array([1, 2, 3])) ?? []).equals(value)).toBe(true);
    }
  });

  it('refuses other associated data, another key, a flipped bit and truncation', () => {
    const key = newDataKey();
    const sealed = seal(key, new TextEncoder().encode('s3cr3t'), new Uint8Array([1]));
    expect(open(key, sealed, new Uint8Array([2]))).toBeUndefined();
    expect(open(newDataKey(), sealed, new Uint8Array([1]))).toBeUndefined();
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
    expect(text).toMatch(/^kmsecret:v1:age:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(looksLikeToken(text)).toBe(true);
    expect(tokenPattern.test(`x ${text} y`)).toBe(true);
    const token = parsed(text);
    expect(token.provider).toBe('age');
    expect(token.keyId).toBe(recipient);
    expect(token.binding).toEqual({ scope: 'strict', namespace: 'team-a', name: 'app-secrets', key: 'DB_PASSWORD' });
  });

  it('shares one data key among the values of one sealer', async () => {
    const { sealer } = await ageSealer();
    const a = parsed(sealer.seal('A', new Uint8Array([1])));
    const b = parsed(sealer.seal('B', new Uint8Array([2])));
    expect(a.wrappedKeyText).toBe(b.wrappedKeyText);
  });

  it('decrypts with its data key and the header as associated data', async () => {
    const { sealer, provider } = await ageSealer();
    const token = parsed(sealer.seal('K', new TextEncoder().encode('value')));
    const dataKey = await provider.unwrapDataKey(token.wrappedKey, token.keyId, encryptionContext(token.binding));
    expect(new TextDecoder().decode(open(dataKey, token.sealed, token.aad))).toBe('value');
  });

  it('names what is wrong with a damaged token', async () => {
    const { sealer } = await ageSealer();
    const text = sealer.seal('K', new Uint8Array([7]));
    const fields = text.split(':');
    const problem = (t: string) => {
      const r = parseToken(t);
      return isTokenProblem(r) ? r.problem : 'ok';
    };
    expect(problem(text)).toBe('ok');
    expect(problem(text.slice(0, text.lastIndexOf(':')))).toMatch(/truncated/);
    expect(problem(text.replace('kmsecret:v1:', 'kmsecret:v9:'))).toMatch(/format v9/);
    expect(problem(text.replace(':age:', ':gcp:'))).toMatch(/unknown provider "gcp"/);
    expect(problem(fields.map((f, i) => (i === 3 ? `${f}!` : f)).join(':'))).toMatch(/damaged header/);
    expect(problem(fields.map((f, i) => (i === 3 ? 'e30' : f)).join(':'))).toMatch(/damaged header/);
    expect(problem(fields.map((f, i) => (i === 5 ? 'AAAA' : f)).join(':'))).toMatch(/damaged or truncated value/);
    expect(problem('kmsecret:')).toMatch(/no version/);
    expect(problem('plain')).toMatch(/not a kmsecret token/);
  });
});

describe('binding', () => {
  it('binds what each scope says', () => {
    const at = { namespace: 'ns', name: 'n', key: 'k' };
    expect(bindingFor('strict', at)).toEqual({ scope: 'strict', namespace: 'ns', name: 'n', key: 'k' });
    expect(bindingFor('namespace-wide', at)).toEqual({ scope: 'namespace-wide', namespace: 'ns', name: '', key: 'k' });
    expect(bindingFor('cluster-wide', at)).toEqual({ scope: 'cluster-wide', namespace: '', name: '', key: 'k' });
    expect(sameBinding(bindingFor('namespace-wide', at), bindingFor('namespace-wide', { ...at, name: 'other' }))).toBe(true);
  });

  it('gives KMS a context of namespace and name, the same for every key of one Secret', () => {
    expect(encryptionContext(bindingFor('strict', { namespace: 'ns', name: 'n', key: 'a' }))).toEqual({
      'kmsecret:scope': 'strict',
      'kmsecret:namespace': 'ns',
      'kmsecret:name': 'n',
    });
    expect(encryptionContext(bindingFor('namespace-wide', { namespace: 'ns', name: 'n', key: 'a' }))).toEqual({ 'kmsecret:scope': 'namespace-wide', 'kmsecret:namespace': 'ns' });
    expect(encryptionContext(bindingFor('cluster-wide', { namespace: 'ns', name: 'n', key: 'a' }))).toEqual({ 'kmsecret:scope': 'cluster-wide' });
  });
});
