// The key a command encrypts for (--key, repeatable for age; else KMSECRET_KEY;
// else the key the file's tokens already use), and the home its values are for.
import { usageError } from '../errors.js';
import { isNamespaceName, isResourceName } from '../k8s/resource.js';
import { type KeySpec, parseKeySpec } from '../providers/registry.js';
import type { Settings } from '../settings.js';
import { isScope, type Scope } from '../token/binding.js';

export function keySpecFrom(keys: readonly string[], settings: Settings, flag = '--key'): KeySpec | undefined {
  if (keys.length > 0) return parseKeySpec(keys, flag);
  return settings.defaultKeys.length > 0 ? parseKeySpec(settings.defaultKeys, 'KMSECRET_KEY') : undefined;
}

export function requireKeySpec(keys: readonly string[], settings: Settings): KeySpec {
  const spec = keySpecFrom(keys, settings);
  if (!spec) throw usageError('no key given', 'pass --key age1… (from `kmsecret keygen`) or --key alias/NAME (AWS KMS), or set KMSECRET_KEY');
  return spec;
}

/** The key all these tokens share, if they share one. */
export function sharedKeySpec(tokens: ReadonlyArray<Pick<KeySpec, 'provider' | 'keyId'>>): KeySpec | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  return tokens.every((t) => t.provider === first.provider && t.keyId === first.keyId) ? { provider: first.provider, keyId: first.keyId } : undefined;
}

export function scopeFrom(flagValue: string | undefined, scopes: readonly Scope[]): Scope {
  if (flagValue !== undefined) {
    if (!isScope(flagValue)) throw usageError('--scope must be one of strict, namespace-wide, cluster-wide');
    return flagValue;
  }
  const distinct = new Set(scopes);
  if (distinct.size > 1) throw usageError('the values have several scopes', 'pass --scope');
  return scopes[0] ?? 'strict';
}

export function requireNamespace(namespace: string | undefined, scope: Scope): string {
  if (namespace !== undefined && !isNamespaceName(namespace)) {
    throw usageError('--namespace is not a valid namespace name (lowercase letters, digits and "-", at most 63)', 'Kubernetes namespaces look like team-a');
  }
  if (scope === 'cluster-wide') return namespace ?? '';
  if (!namespace) {
    throw usageError(
      '--namespace is required: every value is bound to its namespace',
      'pass -n NAMESPACE (or --scope cluster-wide to bind the values to no namespace)',
    );
  }
  return namespace;
}

export function requireName(name: string, what: string): string {
  if (!isResourceName(name)) throw usageError(`${what} is not a valid Kubernetes name (lowercase letters, digits, "-" and ".", at most 253)`);
  return name;
}
