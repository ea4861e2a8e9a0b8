// The binding: where a value is allowed to be decrypted. A value is sealed for
// one (scope, namespace, name, key); the function recomputes that tuple from
// where the token sits and refuses a token whose recorded binding differs.
// The recorded binding is authenticated (it is part of the AEAD data and, for
// AWS, of the KMS encryption context), so editing it only makes the token fail.
//
// The scopes follow Sealed Secrets' vocabulary:
//   strict          namespace + name + key   (the default)
//   namespace-wide  namespace + key           (the Secret may be renamed)
//   cluster-wide    key only                  (any namespace; use with care)

export const scopes = ['strict', 'namespace-wide', 'cluster-wide'] as const;
export type Scope = (typeof scopes)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (scopes as readonly string[]).includes(value);
}

/** A binding as recorded in a token. Fields the scope does not bind are "". */
export interface Binding {
  scope: Scope;
  namespace: string;
  /** The Secret name (KmsSecret) or the workload name (env values). */
  name: string;
  /** The data key (KmsSecret) or the environment variable name (env values). */
  key: string;
}

/** Where a token sits, as the function sees it after the binding rule (docs/FORMAT.md). */
export interface Home {
  namespace: string;
  name: string;
  key: string;
}

/** The binding a value written for `home` under `scope` records. */
export function bindingFor(scope: Scope, home: Home): Binding {
  return {
    scope,
    namespace: scope === 'cluster-wide' ? '' : home.namespace,
    name: scope === 'strict' ? home.name : '',
    key: home.key,
  };
}

export function sameBinding(a: Binding, b: Binding): boolean {
  return a.scope === b.scope && a.namespace === b.namespace && a.name === b.name && a.key === b.key;
}

/** The part of a binding shared by every value of one data key: its KMS encryption context.
 *  Key policies can condition on these (`kms:EncryptionContext:kmsecret:namespace`). */
export type EncryptionContext = Record<string, string>;

export function encryptionContext(binding: Binding): EncryptionContext {
  const context: EncryptionContext = { 'kmsecret:scope': binding.scope };
  if (binding.scope !== 'cluster-wide') context['kmsecret:namespace'] = binding.namespace;
  if (binding.scope === 'strict') context['kmsecret:name'] = binding.name;
  return context;
}

/** A stable string for grouping and comparing contexts. */
export function contextKey(context: EncryptionContext): string {
  return JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]]));
}

/** "namespace team-a, name app-secrets, key DB_PASSWORD" — for messages. */
export function describeBinding(binding: Binding): string {
  const parts: string[] = [];
  if (binding.scope !== 'cluster-wide') parts.push(`namespace ${binding.namespace || '(none)'}`);
  if (binding.scope === 'strict') parts.push(`name ${binding.name}`);
  parts.push(`key ${binding.key}`);
  return `${parts.join(', ')} (${binding.scope})`;
}
