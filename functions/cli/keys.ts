// The key a command encrypts for (--key, repeatable for age; else KMSECRET_KEY;
// else the key the file's tokens already use), and the home its values are for.
import { usageError } from '../errors.js';
import { isNamespaceName, isResourceName } from '../k8s/resource.js';
import { type KeySpec, parseKeySpec } from '../providers/registry.js';
import { unwrapOf } from '../render/values.js';
import type { Settings } from '../settings.js';
import { isScope, type Scope } from '../token/binding.js';
import type { Token } from '../token/token.js';
import type { Context } from './command.js';

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

const passKey = 'pass --key (repeat it for several age recipients), or set KMSECRET_KEY';

/** For providers whose key ids cannot be checked otherwise (age): every one must be one of your
 *  own identities'. Returns whether the provider answers that question at all. */
export async function checkOwnKeys(spec: KeySpec, ctx: Context, file: string): Promise<boolean> {
  const own = await ctx.keys.ownKeyIds(spec.provider);
  if (!own) return false;
  const foreign = spec.keyId.split(',').filter((k) => !own.includes(k));
  if (foreign.length > 0) {
    throw usageError(
      `${file}: its tokens name ${foreign.length === 1 ? 'a recipient' : `${foreign.length} recipients`} that none of your identities is, and a token's recipient list is not authenticated: kmsecret will not encrypt new values for it on the file's word`,
      passKey,
    );
  }
  return true;
}

/**
 * The key new values of a file are sealed for when neither --key nor KMSECRET_KEY says: the
 * key its tokens name — but only once this run has verified it. A token's key id is not
 * authenticated (rotate rewrites it without the data key), so a pull request could point it
 * at a key its author can open. AWS: KMS checks the key id when it unwraps (a Decrypt naming
 * another key fails), so one data key of the file unwrapped with it proves it. age: a
 * recipient list cannot be checked against the wrapped key, so it is used only when every
 * recipient is one of your own identities'.
 */
export async function verifiedFileKey(tokens: readonly Token[], ctx: Context, file: string): Promise<KeySpec> {
  const spec = sharedKeySpec(tokens);
  if (!spec) throw usageError(`${file}: its values use different keys, or it has none yet: say which key new values are for`, passKey);
  if (await checkOwnKeys(spec, ctx, file)) return spec;
  const token = tokens.find((t) => t.keyId === spec.keyId) as Token;
  try {
    await ctx.keys.unwrap(unwrapOf({ form: 'token', token, place: {} }));
  } catch (error) {
    const why = error instanceof Error ? error.message : 'it could not be unwrapped';
    throw usageError(
      `${file}: the key its tokens name could not be verified (${why}), so kmsecret will not encrypt new values for it on the file's word`,
      passKey,
    );
  }
  return spec;
}
