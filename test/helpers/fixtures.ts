// Encrypted fixtures made in-process with the project's own sealer (the CLI
// tests make theirs with the built `kmsecret`).
import { Sealer } from '../../functions/crypto/sealer.js';
import type { KeyProvider } from '../../functions/providers/provider.js';
import { AgeProvider, generateAgeIdentity } from '../../functions/providers/age.js';
import type { Scope } from '../../functions/token/binding.js';
import { yaml } from './resource-list.js';

export interface AgeKey {
  identity: string;
  recipient: string;
  provider: KeyProvider;
  env: NodeJS.ProcessEnv;
}

export async function ageKey(): Promise<AgeKey> {
  const { identity, recipient } = await generateAgeIdentity();
  return { identity, recipient, provider: new AgeProvider({ KMSECRET_AGE_KEY: identity }), env: { KMSECRET_AGE_KEY: identity } };
}

export interface SecretSpec {
  name: string;
  namespace?: string;
  scope?: Scope;
  data: Record<string, string | Uint8Array>;
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The tokens of one Secret's values, sealed under one data key. */
export async function tokens(provider: KeyProvider, keyId: string, spec: SecretSpec): Promise<Record<string, string>> {
  const sealer = await Sealer.create(provider, keyId, { scope: spec.scope ?? 'strict', namespace: spec.namespace ?? '', name: spec.name });
  return Object.fromEntries(
    Object.entries(spec.data).map(([k, v]) => [k, sealer.seal(k, typeof v === 'string' ? new TextEncoder().encode(v) : v)]),
  );
}

export async function kmsSecretYaml(provider: KeyProvider, keyId: string, spec: SecretSpec): Promise<string> {
  const metadata: Record<string, unknown> = { name: spec.name };
  if (spec.namespace) metadata.namespace = spec.namespace;
  if (spec.labels) metadata.labels = spec.labels;
  if (spec.annotations) metadata.annotations = spec.annotations;
  return yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata, type: spec.type ?? 'Opaque', data: await tokens(provider, keyId, spec) });
}
