// The key a command encrypts for (--key, repeatable for age; else KMSECRET_KEY;
// else the key the file's tokens already use), and the home its values are for.
import { quoteArgument, usageError } from '../errors.js';
import { isNamespaceName, isResourceName } from '../k8s/resource.js';
import { ageRecipientProblem } from '../providers/key-forms.js';
import { type KeySpec, parseKeySpec } from '../providers/registry.js';
import { unwrapOf } from '../render/values.js';
import type { Settings } from '../settings.js';
import { isScope, type Scope } from '../token/binding.js';
import type { Token } from '../token/token.js';
import type { Context } from './command.js';

/** --key (or --to-key, KMSECRET_KEY) values, checked: a typo in an age recipient is found here,
 *  before any work, not by the age library in the middle of encrypting. */
export function keySpecOf(keys: readonly string[], flag: string): KeySpec {
  keys.forEach((key, i) => {
    const problem = ageRecipientProblem(key);
    if (problem) {
      const which = keys.length === 1 ? `the age recipient ${flag} names` : `the ${ordinal(i + 1)} age recipient of ${flag}`;
      throw usageError(`${which} ${problem}`, 'copy it again from `kmsecret keygen` (its "Public key:" line) or from the "# public key:" line of the key file');
    }
  });
  return parseKeySpec(keys, flag);
}

function ordinal(n: number): string {
  return `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;
}

export function keySpecFrom(keys: readonly string[], settings: Settings, flag = '--key'): KeySpec | undefined {
  if (keys.length > 0) return keySpecOf(keys, flag);
  return settings.defaultKeys.length > 0 ? keySpecOf(settings.defaultKeys, 'KMSECRET_KEY') : undefined;
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

export function requireNamespace(namespace: string | undefined, scope: Scope, flag = '-n/--namespace'): string {
  if (namespace !== undefined && !isNamespaceName(namespace)) {
    throw usageError(
      `${flag} ${quoteArgument(namespace)} is not a valid namespace name (lowercase letters, digits and "-", at most 63, as Kubernetes requires)`,
      `Kubernetes namespaces look like team-a${/[A-Z_]/.test(namespace) ? `; did you mean ${namespace.toLowerCase().replace(/_/g, '-')}?` : ''}`,
    );
  }
  if (scope === 'cluster-wide') return namespace ?? '';
  if (!namespace) {
    throw usageError(
      `${flag} is required: every value is bound to its namespace`,
      'pass -n NAMESPACE (or --scope cluster-wide to bind the values to no namespace)',
    );
  }
  return namespace;
}

export function requireName(name: string, what: string): string {
  if (!isResourceName(name)) {
    throw usageError(
      `${what} ${quoteArgument(name)} is not a valid Kubernetes name (lowercase letters, digits, "-" and ".", at most 253)`,
      /[A-Z_]/.test(name) && isResourceName(name.toLowerCase().replace(/_/g, '-')) ? `did you mean ${name.toLowerCase().replace(/_/g, '-')}?` : undefined,
    );
  }
  return name;
}

/** A label or annotation key (a qualified name, as Kubernetes checks them: [prefix/]name). */
export function requireMetadataKey(key: string, flag: string): string {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const nameOk = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name) && name.length <= 63;
  const prefixOk = prefix === undefined || (isResourceName(prefix) && prefix.length <= 253);
  if (!nameOk || !prefixOk) {
    throw usageError(
      `${flag}: a key is not a valid ${flag === '--label' ? 'label' : 'annotation'} key ([prefix/]name: letters, digits, "-", "_", ".", at most 63)`,
    );
  }
  return key;
}

export function requireLabelValue(value: string): string {
  if (!(value === '' || (/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(value) && value.length <= 63))) {
    throw usageError('--label: a value is not a valid label value (letters, digits, "-", "_", ".", at most 63)');
  }
  return value;
}

const passKey = (flag: string) =>
  flag === '--key' ? 'pass --key (repeat it for several age recipients), or set KMSECRET_KEY' : `pass ${flag} (repeat it for several age recipients)`;

/** For providers whose key ids cannot be checked otherwise (age): every one must be one of your
 *  own identities'. Returns whether the provider answers that question at all. */
export async function checkOwnKeys(spec: KeySpec, ctx: Context, file: string, flag = '--key'): Promise<boolean> {
  const own = await ctx.keys.ownKeyIds(spec.provider);
  if (!own) return false;
  const foreign = spec.keyId.split(',').filter((k) => !own.includes(k));
  if (foreign.length > 0) {
    throw usageError(
      `${file}: its tokens name ${foreign.length === 1 ? 'a recipient' : `${foreign.length} recipients`} that none of your identities is, and a token's recipient list is not authenticated: kmsecret will not encrypt new values for it on the file's word`,
      passKey(flag),
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
  if (!spec) throw usageError(`${file}: its values use different keys, or it has none yet: say which key new values are for`, passKey('--key'));
  if (await checkOwnKeys(spec, ctx, file)) return spec;
  const token = tokens.find((t) => t.keyId === spec.keyId) as Token;
  try {
    await ctx.keys.unwrap(unwrapOf({ form: 'token', token, place: {} }));
  } catch (error) {
    const why = error instanceof Error ? error.message : 'it could not be unwrapped';
    throw usageError(
      `${file}: the key its tokens name could not be verified (${why}), so kmsecret will not encrypt new values for it on the file's word`,
      passKey('--key'),
    );
  }
  return spec;
}
