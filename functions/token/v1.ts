// Reading format v1, for one purpose only: `kmsecret rotate --rekey` converts
// v1 files to v2 (docs/FORMAT.md, "v1"). v1 bound a value to (scope,
// namespace, name, key) but not to what it is for, and its data keys' KMS
// context had no entry a shush context could not also send; the render
// refuses v1 tokens altogether. Whoever converts needs decrypt rights on the
// v1 data keys, as for any rekey.
import type { EncryptionContext } from '../providers/provider.js';
import { isProviderName, type ProviderName, providers } from '../providers/registry.js';
import { fromBase64url } from './base64url.js';
import { isScope, type Scope } from './binding.js';

export interface V1Token {
  provider: ProviderName;
  keyId: string;
  binding: { scope: Scope; namespace: string; name: string; key: string };
  wrappedKey: Uint8Array;
  wrappedKeyText: string;
  sealed: Uint8Array;
  sealedText: string;
  aad: Uint8Array;
  /** The KMS encryption context v1 wrote for its data keys. */
  context: EncryptionContext;
}

export function isV1Token(text: string): boolean {
  return text.trim().startsWith('kmsecret:v1:');
}

/** A v1 token, or undefined when it is not a sound one. */
export function parseV1Token(text: string): V1Token | undefined {
  const fields = text.trim().split(':');
  if (fields.length !== 6 || fields[0] !== 'kmsecret' || fields[1] !== 'v1') return undefined;
  const [, , provider, headerText, wrappedText, sealedText] = fields as [string, string, string, string, string, string];
  if (!isProviderName(provider)) return undefined;
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64url(headerText) ?? new Uint8Array([0]))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { keyId, scope, namespace, name, key } = header ?? {};
  if (typeof keyId !== 'string' || !providers[provider].validKeyId(keyId) || !isScope(scope)) return undefined;
  if (![namespace, name, key].every((v) => typeof v === 'string')) return undefined;
  const wrappedKey = fromBase64url(wrappedText);
  const sealed = fromBase64url(sealedText);
  if (!wrappedKey || wrappedKey.length === 0 || wrappedKey.length > providers[provider].maxWrappedBytes || !sealed || sealed.length < 28) return undefined;
  const binding = { scope, namespace: namespace as string, name: name as string, key: key as string };
  const context: EncryptionContext = { 'kmsecret:scope': scope };
  if (scope !== 'cluster-wide') context['kmsecret:namespace'] = binding.namespace;
  if (scope === 'strict') context['kmsecret:name'] = binding.name;
  const aad = new TextEncoder().encode(`kmsecret:v1:${JSON.stringify([scope, binding.namespace, binding.name, binding.key])}`);
  return { provider, keyId, binding, wrappedKey, wrappedKeyText: wrappedText, sealed, sealedText, aad, context };
}
