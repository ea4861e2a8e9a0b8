// The written forms of keys and wrapped data keys, in a module of their own so
// that recognising a key never loads a provider (the AWS SDK alone costs tens
// of milliseconds).

/** An age X25519 recipient: "age1" and 58 bech32 characters. */
export const ageRecipientPattern = /^age1[02-9ac-hj-np-z]{58}$/;

/** What `--key` takes for AWS: key ARN, alias ARN, alias/NAME, key id (uuid or multi-Region mrk-…). */
export const awsKeyPattern =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** What a token records for AWS: the key ARN KMS answered with (never an alias, which can be re-pointed). */
export const awsKeyArnPattern = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;

/** The region a key ARN names, if it is an ARN. */
export function regionOfKey(keyId: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1];
}

/** Whether a key is within KMSECRET_KMS_KEYS: listed itself, or in a listed account. */
export function awsKeyAllowed(keyId: string, allowlist: readonly string[]): boolean {
  const account = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:([0-9]{12}):/.exec(keyId)?.[1];
  return allowlist.some((entry) => entry === keyId || (account !== undefined && entry === account));
}

/** The age recipients a token's keyId lists. */
export function ageRecipients(keyId: string): string[] {
  return keyId.split(',');
}

/** Most recipient stanzas a wrapped data key may have: each costs a key agreement per identity. */
export const maxAgeStanzas = 20;

/** The stanza types of a binary age file's header ("X25519", …), read without any key;
 *  undefined when it is not an age file. */
export function ageStanzas(wrapped: Uint8Array): string[] | undefined {
  const head = Buffer.from(wrapped.buffer, wrapped.byteOffset, Math.min(wrapped.byteLength, 64 * 1024)).toString('latin1');
  if (!head.startsWith('age-encryption.org/v1\n')) return undefined;
  const end = head.indexOf('\n---');
  if (end === -1) return undefined;
  return [...head.slice(0, end).matchAll(/\n-> (\S+)/g)].map((m) => m[1] as string);
}
