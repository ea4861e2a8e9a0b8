// The token: one encrypted value, self-contained and self-describing.
//
//   kmsecret:v1:<provider>:<header>:<wrapped data key>:<sealed value>
//
// header      base64url(JSON {keyId, scope, namespace, name, key})  — readable without any key
// wrapped key base64url(the provider's wrapping of the 32-byte data key)
// sealed      base64url(nonce ‖ AES-256-GCM(value) ‖ tag), AAD = the version and the binding
//
// The AAD holds the binding but not the key id or the wrapped key, so that
// `kmsecret rotate` can re-wrap a data key inside KMS (ReEncrypt) and rewrite
// the header without ever seeing a plaintext; a swapped key or data key fails
// anyway (KMS refuses it, or the value does not open under it).
//
// Every field is base64url, so a token is a plain YAML scalar on one line.
// Specified, with test vectors, in docs/FORMAT.md.
import { fromBase64url, toBase64url } from './base64url.js';
import { type Binding, isScope } from './binding.js';

export const tokenPrefix = 'kmsecret:';
export const tokenVersion = 'v1';
export const providerNames = ['age', 'aws'] as const;
export type ProviderName = (typeof providerNames)[number];

/** Anything that starts like a token is treated as one, so a truncated token is an error, not data. */
export function looksLikeToken(value: string): boolean {
  return value.startsWith(tokenPrefix);
}

/** Finds token-shaped text anywhere (the output guard, `check --rendered`). */
export const tokenPattern = /kmsecret:v[0-9]+:[a-z0-9-]+:[A-Za-z0-9_-]+/;

export interface TokenHeader {
  /** The provider's key: an AWS KMS key ARN, or comma-separated age recipients. */
  keyId: string;
  binding: Binding;
}

export interface Token extends TokenHeader {
  provider: ProviderName;
  wrappedKey: Uint8Array;
  /** The wrapped key as written; equal strings mean the same data key. */
  wrappedKeyText: string;
  sealed: Uint8Array;
  /** The authenticated data: see aadFor. */
  aad: Uint8Array;
}

/** Why a string is not a usable token; a sentence fragment for an error message. */
export type TokenProblem = { problem: string; hint: string };

const reissue = 'write the value again with `kmsecret set` (or restore the token from git)';

// The values of one Secret share their wrapped data key, byte for byte: decode it once.
const wrappedCache = new Map<string, Uint8Array | undefined>();
function decodeWrapped(text: string): Uint8Array | undefined {
  if (!wrappedCache.has(text)) {
    if (wrappedCache.size > 4096) wrappedCache.clear();
    wrappedCache.set(text, fromBase64url(text));
  }
  return wrappedCache.get(text);
}

export function parseToken(text: string): Token | TokenProblem {
  const fields = text.trim().split(':');
  if (fields[0] !== 'kmsecret') return { problem: 'is not a kmsecret token', hint: reissue };
  const version = fields[1];
  if (version !== tokenVersion) {
    return /^v[0-9]+$/.test(version ?? '')
      ? { problem: `is a token of format ${version}, which this kmsecret does not read`, hint: 'upgrade kmsecret' }
      : { problem: 'is not a kmsecret token (no version)', hint: reissue };
  }
  if (fields.length !== 6) return { problem: `is truncated or malformed (${fields.length} of 6 fields)`, hint: reissue };
  const [, , provider, headerText, wrappedText, sealedText] = fields as [string, string, string, string, string, string];
  if (!(providerNames as readonly string[]).includes(provider)) {
    return { problem: `names an unknown provider "${provider}"`, hint: `known providers: ${providerNames.join(', ')}` };
  }
  const header = parseHeader(headerText);
  if ('problem' in header) return header;
  const wrappedKey = decodeWrapped(wrappedText);
  const sealed = fromBase64url(sealedText);
  if (!wrappedKey || wrappedKey.length === 0) return { problem: 'has a damaged data key field', hint: reissue };
  if (!sealed || sealed.length < 28) return { problem: 'has a damaged or truncated value field', hint: reissue };
  return {
    provider: provider as ProviderName,
    ...header,
    wrappedKey,
    wrappedKeyText: wrappedText,
    sealed,
    aad: aadFor(header.binding),
  };
}

function parseHeader(text: string): TokenHeader | TokenProblem {
  const bytes = fromBase64url(text);
  const damaged = { problem: 'has a damaged header', hint: reissue };
  if (!bytes) return damaged;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return damaged;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return damaged;
  const record = json as Record<string, unknown>;
  const { keyId, scope, namespace, name, key } = record;
  const strings = [keyId, namespace, name, key].every((v) => typeof v === 'string');
  if (!strings || !isScope(scope) || Object.keys(record).length !== 5 || keyId === '') return damaged;
  return { keyId: keyId as string, binding: { scope, namespace: namespace as string, name: name as string, key: key as string } };
}

const utf8 = new TextEncoder();

/** What a value is sealed with as AEAD data: `kmsecret:v1:` and the binding as a JSON array. */
export function aadFor(binding: Binding): Uint8Array {
  return utf8.encode(`${tokenPrefix}${tokenVersion}:${JSON.stringify([binding.scope, binding.namespace, binding.name, binding.key])}`);
}

/** The token text before the sealed value. */
export function tokenHead(provider: ProviderName, header: TokenHeader, wrappedKey: Uint8Array): string {
  const { scope, namespace, name, key } = header.binding;
  // Fixed field order: the header bytes are authenticated, so they must be reproducible from the spec.
  const json = JSON.stringify({ keyId: header.keyId, scope, namespace, name, key });
  return `${tokenPrefix}${tokenVersion}:${provider}:${toBase64url(utf8.encode(json))}:${toBase64url(wrappedKey)}`;
}

export function formatToken(head: string, sealed: Uint8Array): string {
  return `${head}:${toBase64url(sealed)}`;
}

export function isTokenProblem(value: Token | TokenProblem): value is TokenProblem {
  return 'problem' in value;
}
