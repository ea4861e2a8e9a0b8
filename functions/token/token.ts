// The token: one encrypted value, self-contained and self-describing. This file
// is the one owner of its layout (docs/FORMAT.md):
//
//   kmsecret:v2:<provider>:<header>:<wrapped data key>:<sealed value>
//
// header      base64url(JSON {keyId, use, scope, namespace, name, key})  — readable without any key
// wrapped key base64url(the provider's wrapping of the 32-byte data key)
// sealed      base64url(nonce ‖ AES-256-GCM(value) ‖ tag), AAD = the version and the binding
//
// The AAD holds the binding but not the key id or the wrapped key, so that
// `kmsecret rotate` can re-wrap a data key inside KMS (ReEncrypt) and rewrite
// the header without ever seeing a plaintext; a swapped key or data key fails
// anyway (KMS refuses it, or the value does not open under it).
//
// Every field is base64url, so a token is a plain YAML scalar on one line.
// Every header field is validated on parse, so whatever a message or `git diff`
// shows of a header is a key id or a Kubernetes name, never arbitrary text.
import { isProviderName, type ProviderName, providers } from '../providers/registry.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { type Binding, isScope, isUse } from './binding.js';

export const tokenPrefix = 'kmsecret:';
export const tokenVersion = 'v2';

/** Anything that starts like a token is treated as one, so a truncated token is an error, not data. */
export function looksLikeToken(value: string): boolean {
  return value.startsWith(tokenPrefix);
}

/** Token-shaped text anywhere (the output guard, `check --rendered`). */
export const tokenPattern = /kmsecret:v[0-9]+:[a-z0-9-]+:[A-Za-z0-9_-]+/;

/** Whole tokens in a text, as far as their characters go (never ending in ":", so a token
 *  used as a mapping key keeps its key indicator). */
export const tokensInText = /kmsecret:v[0-9]+:[a-z0-9-]+:[A-Za-z0-9_:-]{31,}[A-Za-z0-9_-]/g;

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
  /** The sealed value as written (changes whenever the value is sealed again). */
  sealedText: string;
  /** The authenticated data: see aadFor. */
  aad: Uint8Array;
}

/** Why a string is not a usable token. `code` is stable (docs/token-vectors.json). */
export interface TokenProblem {
  code:
    | 'not-a-token'
    | 'unknown-version'
    | 'v1'
    | 'malformed'
    | 'unknown-provider'
    | 'bad-header'
    | 'bad-key-id'
    | 'bad-binding'
    | 'bad-wrapped-key'
    | 'wrapped-key-too-large'
    | 'bad-sealed-value';
  /** A sentence fragment: "value <problem>". Never holds text from the token. */
  problem: string;
  hint: string;
}

const reissue = 'write the value again with `kmsecret set` (an env value: `kmsecret encrypt-value`), or restore the token from git';
const maxHeaderChars = 4096;

function problem(code: TokenProblem['code'], text: string, hint = reissue): TokenProblem {
  return { code, problem: text, hint };
}

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
  if (fields[0] !== 'kmsecret') return problem('not-a-token', 'is not a kmsecret token');
  const version = fields[1] ?? '';
  if (version === 'v1') {
    return problem(
      'v1',
      'is a v1 token, which this kmsecret no longer decrypts (v1 is not bound to what the value is for)',
      'convert the file once with `kmsecret rotate --rekey FILE` (needs decrypt rights)',
    );
  }
  if (version !== tokenVersion) {
    return /^v[0-9]+$/.test(version)
      ? problem('unknown-version', 'is a token of a format this kmsecret does not read', 'upgrade kmsecret')
      : problem('not-a-token', 'is not a kmsecret token (no version)');
  }
  if (fields.length !== 6) return problem('malformed', `is truncated or malformed (${fields.length} of 6 fields)`);
  const [, , provider, headerText, wrappedText, sealedText] = fields as [string, string, string, string, string, string];
  if (!isProviderName(provider))
    return problem('unknown-provider', 'names a provider this kmsecret does not know', 'upgrade kmsecret, or write the value again');
  const header = parseHeader(provider, headerText);
  if ('problem' in header) return header;
  const entry = providers[provider];
  if (wrappedText.length > Math.ceil((entry.maxWrappedBytes * 4) / 3))
    return problem('wrapped-key-too-large', `has a data key field larger than ${provider} writes (${entry.maxWrappedBytes} bytes)`);
  const wrappedKey = decodeWrapped(wrappedText);
  if (!wrappedKey || wrappedKey.length === 0) return problem('bad-wrapped-key', 'has a damaged data key field');
  const wrappedProblem = entry.wrappedProblem?.(wrappedKey);
  if (wrappedProblem) return problem('bad-wrapped-key', `has a data key that ${wrappedProblem}`);
  const sealed = fromBase64url(sealedText);
  if (!sealed || sealed.length < 28) return problem('bad-sealed-value', 'has a damaged or truncated value field');
  return { provider, ...header, wrappedKey, wrappedKeyText: wrappedText, sealed, sealedText, aad: aadFor(header.binding) };
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A Secret's data key (Kubernetes: letters, digits, "-", "_", "."). */
export const secretKeyPattern = /^[-._a-zA-Z0-9]+$/;
/** An env variable name as kmsecret writes tokens for it. */
export const envNamePattern = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Whether a binding is one kmsecret could have written: names as Kubernetes allows them,
 *  and exactly the fields its scope binds. */
export function validBinding(b: Binding): boolean {
  const namespaceOk = b.scope === 'cluster-wide' ? b.namespace === '' : dnsLabel.test(b.namespace) && b.namespace.length <= 63;
  const nameOk = b.scope === 'strict' ? dnsSubdomain.test(b.name) && b.name.length <= 253 : b.name === '';
  const keyOk = (b.use === 'env' ? envNamePattern : secretKeyPattern).test(b.key) && b.key.length <= 253;
  return namespaceOk && nameOk && keyOk;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function parseHeader(provider: ProviderName, text: string): TokenHeader | TokenProblem {
  const damaged = problem('bad-header', 'has a damaged header');
  if (text.length > maxHeaderChars) return damaged;
  const bytes = fromBase64url(text);
  if (!bytes) return damaged;
  let json: unknown;
  try {
    json = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return damaged;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return damaged;
  const record = json as Record<string, unknown>;
  const { keyId, use, scope, namespace, name, key } = record;
  if (Object.keys(record).length !== 6 || ![keyId, namespace, name, key].every((v) => typeof v === 'string') || !isScope(scope) || !isUse(use)) return damaged;
  if (!providers[provider].validKeyId(keyId as string)) return problem('bad-key-id', `has a header whose key is not ${providers[provider].keyIdForm}`);
  const binding: Binding = { use, scope, namespace: namespace as string, name: name as string, key: key as string };
  if (!validBinding(binding)) return problem('bad-binding', 'has a header whose binding is not a Kubernetes namespace, name and key');
  return { keyId: keyId as string, binding };
}

const utf8 = new TextEncoder();

/** What a value is sealed with as AEAD data: `kmsecret:v2:` and the binding as a JSON array. */
export function aadFor(binding: Binding): Uint8Array {
  return utf8.encode(`${tokenPrefix}${tokenVersion}:${JSON.stringify([binding.use, binding.scope, binding.namespace, binding.name, binding.key])}`);
}

export interface TokenParts extends TokenHeader {
  provider: ProviderName;
  wrapped: Uint8Array;
  sealed: Uint8Array;
}

export function formatToken(parts: TokenParts): string {
  const { use, scope, namespace, name, key } = parts.binding;
  // Fixed field order, so that a header can be reproduced from the spec (test vectors).
  const json = JSON.stringify({ keyId: parts.keyId, use, scope, namespace, name, key });
  return `${tokenPrefix}${tokenVersion}:${parts.provider}:${toBase64url(utf8.encode(json))}:${toBase64url(parts.wrapped)}:${toBase64url(parts.sealed)}`;
}

/** The same value under another wrapping of its data key (rotate): the sealed part stays,
 *  since the AEAD data holds only the binding. */
export function rewrapped(token: Token, provider: ProviderName, keyId: string, wrapped: Uint8Array): string {
  return formatToken({ provider, keyId, binding: token.binding, wrapped, sealed: token.sealed });
}

/** The sealed value's field as written: equal for two tokens of the same sealing of a value
 *  (rotate keeps it; a new value or a rekey changes it). */
export function sealedPart(text: string): string {
  return text.slice(text.lastIndexOf(':') + 1);
}

/** The wrapped data key's field as written: equal for two tokens of the same data key. */
export function wrappedPart(text: string): string {
  return text.split(':')[4] ?? '';
}

export function isTokenProblem(value: Token | TokenProblem): value is TokenProblem {
  return 'problem' in value;
}
