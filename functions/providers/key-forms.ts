// The written forms of keys, in a module of their own so that recognising a
// key never loads a provider (the AWS SDK alone costs tens of milliseconds).

/** An age X25519 recipient: "age1" and 58 bech32 characters. */
export const ageRecipientPattern = /^age1[02-9ac-hj-np-z]{58}$/;

/** key ARN, alias ARN, alias/NAME, key id (uuid or multi-Region mrk-…). */
export const awsKeyPattern =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** The region a key ARN names, if it is an ARN. */
export function regionOfKey(keyId: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1];
}
