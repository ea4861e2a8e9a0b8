// The key a command encrypts for: --key (repeatable for age), else KMSECRET_KEY,
// else the key the file's tokens already use.
import { usageError } from '../errors.js';
import { parseKeySpec, type KeySpec } from '../providers/registry.js';
import { isScope, type Scope } from '../token/binding.js';
import type { Token } from '../token/token.js';

export function keySpecFrom(keys: readonly string[], env: NodeJS.ProcessEnv): KeySpec | undefined {
  if (keys.length > 0) return parseKeySpec([...keys]);
  const fromEnv = env.KMSECRET_KEY?.split(/[\s,]+/).filter((k) => k !== '');
  return fromEnv && fromEnv.length > 0 ? parseKeySpec(fromEnv) : undefined;
}

export function requireKeySpec(keys: readonly string[], env: NodeJS.ProcessEnv): KeySpec {
  const spec = keySpecFrom(keys, env);
  if (!spec) throw usageError('no key given', 'pass --key age1… (from `kmsecret keygen`) or --key alias/NAME (AWS KMS), or set KMSECRET_KEY');
  return spec;
}

/** The key all these tokens share, if they share one. */
export function sharedKeySpec(tokens: readonly Token[]): KeySpec | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  return tokens.every((t) => t.provider === first.provider && t.keyId === first.keyId) ? { provider: first.provider, keyId: first.keyId } : undefined;
}

export function scopeFrom(flagValue: string | undefined, tokens: readonly Token[]): Scope {
  if (flagValue !== undefined) {
    if (!isScope(flagValue)) throw usageError(`--scope ${flagValue} is not one of strict, namespace-wide, cluster-wide`);
    return flagValue;
  }
  const scopes = new Set(tokens.map((t) => t.binding.scope));
  if (scopes.size > 1) throw usageError('the file mixes values of several scopes', 'pass --scope');
  return tokens[0]?.binding.scope ?? 'strict';
}

export function requireNamespace(namespace: string | undefined, scope: Scope): string {
  if (scope === 'cluster-wide') return namespace ?? '';
  if (!namespace) {
    throw usageError('--namespace is required: every value is bound to its namespace', 'pass -n NAMESPACE (or --scope cluster-wide to bind the values to no namespace)');
  }
  return namespace;
}
