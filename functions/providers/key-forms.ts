// The written forms of keys and wrapped data keys, in a module of their own so
// that recognising a key never loads a provider (the AWS SDK alone costs tens
// of milliseconds).

/** An age X25519 recipient: "age1" and 58 bech32 characters. */
export const ageRecipientPattern = /^age1[02-9ac-hj-np-z]{58}$/;

const bech32Alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** BIP 173's checksum over the human-readable part and the data characters. */
function bech32Checksum(hrp: string, data: readonly number[]): boolean {
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  const values = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31), ...data];
  for (const v of values) {
    const top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    generators.forEach((g, i) => {
      if ((top >> i) & 1) chk ^= g;
    });
  }
  return chk === 1;
}

/** What is wrong with something written like an age recipient (age1…), or undefined. */
export function ageRecipientProblem(key: string): string | undefined {
  if (!/^age1/i.test(key)) return undefined;
  if (key !== key.toLowerCase()) return key === key.toUpperCase() ? 'is in capitals; write it in lowercase' : 'mixes capitals and lowercase';
  const data = key.slice(4);
  const bad = [...data].find((c) => !bech32Alphabet.includes(c));
  if (bad !== undefined) return `holds ${JSON.stringify(bad)}, which never occurs in an age recipient (no b, i, o or 1 after age1)`;
  if (data.length !== 58) return `is ${key.length} characters long; an age recipient is 62 (age1 and 58)`;
  if (
    !bech32Checksum(
      'age',
      [...data].map((c) => bech32Alphabet.indexOf(c)),
    )
  )
    return 'has a typo: its checksum does not match';
  return undefined;
}

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
