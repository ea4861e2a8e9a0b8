// Where a value sits, and whether it may be decrypted there (functions/render/binding-rule.ts).
import { describe, expect, it } from 'vitest';
import type { KmsecretError } from '../../functions/errors.js';
import { boundName, outsideAllowedNamespaces, planToken, shushContext } from '../../functions/render/binding-rule.js';
import type { PlannedValue } from '../../functions/render/values.js';
import { ageKey, sealerFor } from '../helpers/fixtures.js';

const kmsSecret = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'kmsecret.dev/v1alpha1',
  kind: 'KmsSecret',
  metadata: { name, namespace: 'team-a', annotations },
});

describe('boundName: the name as first written', () => {
  const renamed = {
    'internal.config.kubernetes.io/previousNames': 'app,b-app,b-app-bs,o-b-app-bs',
    'internal.config.kubernetes.io/prefixes': 'b-,o-',
    'internal.config.kubernetes.io/suffixes': '-bs,-os',
  };

  it("follows kustomize's record of a namePrefix/nameSuffix rename, as kustomize writes it", () => {
    expect(boundName(kmsSecret('o-b-app-bs-os', renamed), 'kustomize')).toBe('app');
    expect(
      boundName(kmsSecret('x-app', { 'internal.config.kubernetes.io/previousNames': 'app,app', 'internal.config.kubernetes.io/prefixes': 'x-' }), 'kustomize'),
    ).toBe('app');
  });

  it('ignores a record the prefixes and suffixes do not explain (a hand-written previousNames)', () => {
    expect(boundName(kmsSecret('other', { 'internal.config.kubernetes.io/previousNames': 'db' }), 'kustomize')).toBe('other');
    expect(
      boundName(
        kmsSecret('x-app', { 'internal.config.kubernetes.io/previousNames': 'db,app', 'internal.config.kubernetes.io/prefixes': 'y-,x-' }),
        'kustomize',
      ),
    ).toBe('x-app');
  });

  it('never trusts the record under kpt or in a file the CLI reads', () => {
    expect(boundName(kmsSecret('o-b-app-bs-os', renamed), 'kpt')).toBe('o-b-app-bs-os');
    expect(boundName(kmsSecret('o-b-app-bs-os', renamed), 'file')).toBe('o-b-app-bs-os');
  });
});

describe('planToken', () => {
  it('refuses a Secret value in env and an env value in a Secret, before any provider call', async () => {
    const key = await ageKey();
    const secretValue = (await sealerFor(key.provider, key.recipient, { use: 'secret', scope: 'strict', namespace: 'team-a', name: 'web' })).seal(
      'TOKEN',
      new Uint8Array([1]),
    );
    const envValue = (await sealerFor(key.provider, key.recipient, { use: 'env', scope: 'strict', namespace: 'team-a', name: 'web' })).seal(
      'TOKEN',
      new Uint8Array([1]),
    );
    const errors: KmsecretError[] = [];
    expect(planToken(secretValue, { use: 'env', namespace: 'team-a', name: 'web', key: 'TOKEN' }, {}, errors)).toBeUndefined();
    expect(planToken(envValue, { use: 'secret', namespace: 'team-a', name: 'web', key: 'TOKEN' }, {}, errors)).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([
      'value was encrypted as a Secret value for namespace team-a, name web, key TOKEN (strict), not as an env value for namespace team-a, workload web, variable TOKEN (strict)',
      'value was encrypted as an env value for namespace team-a, workload web, variable TOKEN (strict), not as a Secret value for namespace team-a, name web, key TOKEN (strict)',
    ]);
    expect(errors[0]?.hint).toMatch(/never decrypts into a workload/);
    expect(planToken(envValue, { use: 'env', namespace: 'team-a', name: 'web', key: 'TOKEN' }, {}, errors)?.form).toBe('token');
  });
});

describe('KMSECRET_NAMESPACES', () => {
  const shush = (namespace: string): PlannedValue => ({
    form: 'shush',
    ciphertext: new Uint8Array(1),
    ciphertextText: 'AA==',
    context: {},
    home: { namespace, name: 'w', key: 'K' },
    place: {},
  });

  it('unset allows every namespace; set allows the listed ones; set but empty allows none', () => {
    expect(outsideAllowedNamespaces(shush('team-a'), undefined)).toBeUndefined();
    expect(outsideAllowedNamespaces(shush('team-a'), ['team-a'])).toBeUndefined();
    expect(outsideAllowedNamespaces(shush('team-b'), ['team-a'])?.message).toMatch(/bound to namespace team-b, which this run may not decrypt/);
    expect(outsideAllowedNamespaces(shush('team-a'), [])?.message).toMatch(/KMSECRET_NAMESPACES=\(empty: no namespace\)/);
  });

  it("decrypts a shush value only with a context that binds the workload's namespace", () => {
    expect(shushContext({ env: 'prod' }, 'team-a', undefined, {}, 'v')).toEqual({ env: 'prod' });
    expect(shushContext({ namespace: 'team-a', env: 'prod' }, 'team-a', ['team-a'], {}, 'v')).toEqual({ namespace: 'team-a', env: 'prod' });
    expect((shushContext({ namespace: 'team-b' }, 'team-a', ['team-a'], {}, 'v') as KmsecretError).message).toMatch(
      /binds the workload's namespace \(namespace=team-a\)/,
    );
    expect((shushContext({}, 'team-a', ['team-a'], {}, 'v') as KmsecretError).hint).toMatch(/--context namespace=team-a/);
  });
});
