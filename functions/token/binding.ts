// The binding: where a value is allowed to be decrypted. A value is sealed for
// one (use, scope, namespace, name, key); the function recomputes that tuple
// from where the token sits (render/binding-rule.ts) and refuses a token whose
// recorded binding differs. The recorded binding is authenticated — it is the
// value's AEAD data and, minus the key, the KMS encryption context of its data
// key — so editing it only makes the token fail.
//
//   use     what the value is for: a Secret's data key (`secret`) or a
//           container's env variable (`env`); a Secret value never decrypts
//           into a workload, where `view` RBAC, diffs and logs would show it
//   scope   Sealed Secrets' vocabulary:
//             strict          namespace + name + key   (the default)
//             namespace-wide  namespace + key           (the Secret may be renamed)
//             cluster-wide    key only                  (any namespace; use with care)
import type { EncryptionContext } from '../providers/provider.js';

export const scopes = ['strict', 'namespace-wide', 'cluster-wide'] as const;
export type Scope = (typeof scopes)[number];

export const uses = ['secret', 'env'] as const;
export type Use = (typeof uses)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (scopes as readonly string[]).includes(value);
}

export function isUse(value: unknown): value is Use {
  return typeof value === 'string' && (uses as readonly string[]).includes(value);
}

/** A binding as recorded in a token. Fields the scope does not bind are "". */
export interface Binding {
  use: Use;
  scope: Scope;
  namespace: string;
  /** The Secret name (use secret) or the workload name (use env). */
  name: string;
  /** The Secret's data key (use secret) or the environment variable's name (use env). */
  key: string;
}

/** Where a token sits, as the binding rule sees it. */
export interface Home {
  use: Use;
  namespace: string;
  name: string;
  key: string;
}

/** The binding a value written for `home` under `scope` records. */
export function bindingFor(scope: Scope, home: Home): Binding {
  return {
    use: home.use,
    scope,
    namespace: scope === 'cluster-wide' ? '' : home.namespace,
    name: scope === 'strict' ? home.name : '',
    key: home.key,
  };
}

export function sameBinding(a: Binding, b: Binding): boolean {
  return a.use === b.use && a.scope === b.scope && a.namespace === b.namespace && a.name === b.name && a.key === b.key;
}

/** Every context key kmsecret writes starts with this; a shush context may hold none of them,
 *  so a raw KMS ciphertext can never be made to yield a kmsecret data key. */
export const contextKeyPrefix = 'kmsecret:';

/** The part of a binding shared by every value of one data key: its KMS encryption context.
 *  Key policies can condition on these (`kms:EncryptionContext:kmsecret:namespace`). */
export function encryptionContext(binding: Pick<Binding, 'use' | 'scope' | 'namespace' | 'name'>): EncryptionContext {
  const context: EncryptionContext = { 'kmsecret:use': binding.use, 'kmsecret:scope': binding.scope };
  if (binding.scope !== 'cluster-wide') context['kmsecret:namespace'] = binding.namespace;
  if (binding.scope === 'strict') context['kmsecret:name'] = binding.name;
  return context;
}

/** Whether two bindings give their data keys the same encryption context (the fields
 *  encryptionContext reads, as it reads them), without building either. */
export function sameEncryptionContext(a: Binding, b: Binding): boolean {
  if (a.use !== b.use || a.scope !== b.scope) return false;
  if (a.scope !== 'cluster-wide' && a.namespace !== b.namespace) return false;
  return a.scope !== 'strict' || a.name === b.name;
}

/** "Secret value for namespace team-a, name app-secrets, key DB_PASSWORD (strict)" — for messages. */
export function describeBinding(binding: Binding): string {
  const parts: string[] = [];
  if (binding.scope !== 'cluster-wide') parts.push(`namespace ${binding.namespace || '(none)'}`);
  if (binding.scope === 'strict') parts.push(`${binding.use === 'env' ? 'workload' : 'name'} ${binding.name}`);
  parts.push(`${binding.use === 'env' ? 'variable' : 'key'} ${binding.key}`);
  return `${binding.use === 'env' ? 'an env value' : 'a Secret value'} for ${parts.join(', ')} (${binding.scope})`;
}
