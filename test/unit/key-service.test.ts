// The key service (functions/keys/key-service.ts), with the real age provider and,
// where a fault is the point, a provider standing in for a KMS that hangs or says no.
import { describe, expect, it } from 'vitest';
import { KmsecretError } from '../../functions/errors.js';
import { KeyService, type UnwrapRequest } from '../../functions/keys/key-service.js';
import { type KeyProvider, ProviderError } from '../../functions/providers/provider.js';
import type { ProviderSet } from '../../functions/providers/registry.js';
import { ageKey } from '../helpers/fixtures.js';

function service(provider: KeyProvider, options: Partial<ConstructorParameters<typeof KeyService>[0]> = {}): { keys: KeyService; calls: () => number } {
  let calls = 0;
  const counted: KeyProvider = {
    generateDataKey: (...a) => provider.generateDataKey(...a),
    wrapDataKey: (...a) => provider.wrapDataKey(...a),
    unwrapDataKey: (...a) => {
      calls++;
      return provider.unwrapDataKey(...a);
    },
  };
  const providers: ProviderSet = { get: async () => counted };
  const keys = new KeyService({ providers, concurrency: 4, timeoutMs: 30_000, retry: { maxAttempts: 1, baseMs: 0, capMs: 0 }, maxDataKeys: 100, ...options });
  return { keys, calls: () => calls };
}

const refusing: KeyProvider = {
  generateDataKey: () => Promise.reject(new ProviderError('denied', 'no')),
  wrapDataKey: () => Promise.reject(new ProviderError('denied', 'no')),
  unwrapDataKey: () => Promise.reject(new ProviderError('denied', 'AWS denied kms:Decrypt')),
};
const hanging: KeyProvider = {
  generateDataKey: (_k, _c, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  wrapDataKey: (_d, _k, _c, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  unwrapDataKey: (_w, _k, _c, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
};
const request = (n: number): UnwrapRequest => ({
  provider: 'aws',
  keyId: `arn:aws:kms:us-east-1:111122223333:key/${n}`,
  wrapped: new Uint8Array([n]),
  context: {},
});

describe('KeyService', () => {
  it('unwraps each distinct data key once, with the real age provider', async () => {
    const key = await ageKey();
    const { keys, calls } = service(key.provider);
    const dataKey = await keys.generate({ provider: 'age', keyId: key.recipient }, {});
    const req: UnwrapRequest = { provider: 'age', keyId: key.recipient, wrapped: dataKey.wrapped, context: {} };
    const outcomes = await keys.unwrapAll(new Map([['a', req]]));
    expect(outcomes.get('a')).toEqual({ ok: true, plaintext: dataKey.plaintext });
    expect(calls()).toBe(1);
    keys.close();
  });

  it('refuses more than maxDataKeys as a whole, before any call', async () => {
    const { keys, calls } = service(refusing, { maxDataKeys: 3 });
    await expect(keys.unwrapAll(new Map([1, 2, 3, 4].map((n) => [String(n), request(n)])))).rejects.toThrow(
      /needs 4 data keys, more than KMSECRET_MAX_DATA_KEYS=3/,
    );
    expect(calls()).toBe(0);
  });

  it('stops after five refused data keys, one at a time', async () => {
    const { keys, calls } = service(refusing, { concurrency: 1 });
    const outcomes = await keys.unwrapAll(new Map(Array.from({ length: 20 }, (_, n) => [String(n), request(n)])));
    expect(calls()).toBe(5);
    expect([...outcomes.values()].filter((o) => !o.ok && 'skipped' in o)).toHaveLength(15);
  });

  it('gives up at its one deadline, for unwraps and for new data keys alike', async () => {
    const { keys } = service(hanging, { timeoutMs: 50 });
    const outcomes = await keys.unwrapAll(
      new Map([
        ['a', request(1)],
        ['b', request(2)],
      ]),
    );
    const failures = [...outcomes.values()].map((o) => (o.ok ? 'ok' : 'error' in o ? o.error.message : 'skipped'));
    expect(failures.sort()).toEqual(['skipped', 'the key provider did not answer within the deadline (0.05 s)']);
    const { keys: fresh } = service(hanging, { timeoutMs: 50 });
    await expect(fresh.generate({ provider: 'aws', keyId: 'alias/x' }, {})).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('KMSECRET_KMS_KEYS: keys outside the list are refused before a call', async () => {
    const { keys, calls } = service(refusing, { kmsKeys: ['444455556666'] });
    const outcome = (await keys.unwrapAll(new Map([['a', request(1)]]))).get('a');
    expect(outcome?.ok === false && 'error' in outcome && outcome.error instanceof KmsecretError && outcome.error.message).toMatch(/not in KMSECRET_KMS_KEYS/);
    expect(calls()).toBe(0);
    await expect(keys.generate({ provider: 'aws', keyId: 'arn:aws:kms:us-east-1:111122223333:key/x' }, {})).rejects.toThrow(/not in KMSECRET_KMS_KEYS/);
  });
});
