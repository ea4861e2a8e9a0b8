// Encrypted fixtures made in-process with the project's own sealer (the CLI
// tests make theirs with the built `kmsecret`).
import { AgeProvider, generateAgeIdentity } from '../../functions/providers/age.js';
import type { KeyProvider } from '../../functions/providers/provider.js';
import { type ProviderName, parseKeySpec } from '../../functions/providers/registry.js';
import type { Scope, Use } from '../../functions/token/binding.js';
import { dataKeyContext, Sealer, type SealerHome } from '../../functions/token/sealer.js';
import { yaml } from './resource-list.js';

export interface AgeKey {
  identity: string;
  recipient: string;
  provider: KeyProvider;
  env: NodeJS.ProcessEnv;
}

export async function ageKey(): Promise<AgeKey> {
  const { identity, recipient } = await generateAgeIdentity();
  return { identity, recipient, provider: new AgeProvider({ key: identity, defaultKeyFile: '/nonexistent' }), env: { KMSECRET_AGE_KEY: identity } };
}

/** A sealer with a fresh data key straight from the provider, as the key service would make it. */
export async function sealerFor(provider: KeyProvider, keyId: string, home: SealerHome): Promise<Sealer> {
  const name: ProviderName = parseKeySpec([keyId.split(',')[0] as string]).provider;
  const dataKey = await provider.generateDataKey(keyId, dataKeyContext(home), new AbortController().signal);
  return new Sealer(name, dataKey, home);
}

/** The tokens of one workload's env values, sealed under one data key. */
export async function envTokens(
  provider: KeyProvider,
  keyId: string,
  spec: { workload: string; namespace: string; scope?: Scope; values: Record<string, string> },
): Promise<Record<string, string>> {
  const sealer = await sealerFor(provider, keyId, { use: 'env', scope: spec.scope ?? 'strict', namespace: spec.namespace, name: spec.workload });
  return Object.fromEntries(Object.entries(spec.values).map(([k, v]) => [k, sealer.seal(k, new TextEncoder().encode(v))]));
}

export interface SecretSpec {
  name: string;
  namespace?: string;
  scope?: Scope;
  /** What the values are for; default a Secret's data. */
  use?: Use;
  data: Record<string, string | Uint8Array>;
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The tokens of one Secret's values, sealed under one data key. */
export async function tokens(provider: KeyProvider, keyId: string, spec: SecretSpec): Promise<Record<string, string>> {
  const sealer = await sealerFor(provider, keyId, {
    use: spec.use ?? 'secret',
    scope: spec.scope ?? 'strict',
    namespace: spec.namespace ?? '',
    name: spec.name,
  });
  return Object.fromEntries(Object.entries(spec.data).map(([k, v]) => [k, sealer.seal(k, typeof v === 'string' ? new TextEncoder().encode(v) : v)]));
}

export async function kmsSecretYaml(provider: KeyProvider, keyId: string, spec: SecretSpec): Promise<string> {
  const metadata: Record<string, unknown> = { name: spec.name };
  if (spec.namespace) metadata.namespace = spec.namespace;
  if (spec.labels) metadata.labels = spec.labels;
  if (spec.annotations) metadata.annotations = spec.annotations;
  return yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata, type: spec.type ?? 'Opaque', data: await tokens(provider, keyId, spec) });
}
