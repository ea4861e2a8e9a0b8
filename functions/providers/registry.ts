// Every key provider kmsecret knows, in one table: how its keys are written,
// what the token format allows of its wrapped data keys, and how to load it.
// Loading happens only when a token or a --key needs the provider: the AWS SDK
// costs tens of milliseconds to load, and a render without AWS tokens must not
// pay for it.
//
// Adding a provider (GCP Cloud KMS, Vault transit): write providers/NAME.ts
// implementing KeyProvider (provider.ts), add its entry below, and its tests.
// Nothing else in kmsecret knows which provider it talks to.
import { KmsecretError, quoteArgument, usageError } from '../errors.js';
import type { Settings } from '../settings.js';
import {
  ageRecipientPattern,
  ageRecipientProblem,
  ageRecipients,
  ageStanzas,
  awsKeyAllowed,
  awsKeyArnPattern,
  awsKeyPattern,
  maxAgeStanzas,
} from './key-forms.js';
import type { KeyProvider } from './provider.js';

export const providerNames = ['age', 'aws'] as const;
export type ProviderName = (typeof providerNames)[number];

export interface ProviderEntry {
  /** Whether one `--key` value names a key of this provider. */
  recognises(key: string): boolean;
  /** Whether several --key values may be given at once (age: several recipients). */
  multipleKeys: boolean;
  /** Whether a token's key id is one this provider writes (token headers are validated). */
  validKeyId(keyId: string): boolean;
  /** What a valid key id is, for messages. */
  keyIdForm: string;
  /** The token format's limit on the provider's wrapped data key. */
  maxWrappedBytes: number;
  /** A problem with a wrapped data key that can be seen without the key, or undefined. */
  wrappedProblem?(wrapped: Uint8Array): string | undefined;
  /** A disagreement between a token's key id and its wrapped data key that can be seen without
   *  the key (for `kmsecret check`): the header was edited. */
  keyIdProblem?(keyId: string, wrapped: Uint8Array): string | undefined;
  /** Whether KMSECRET_KMS_KEYS lets the pipeline call this key; absent: the list does not apply. */
  allowedBy?(keyId: string, allowlist: readonly string[]): boolean;
  load(settings: Settings): Promise<KeyProvider>;
}

export const providers: Record<ProviderName, ProviderEntry> = {
  age: {
    recognises: (key) => ageRecipientPattern.test(key),
    multipleKeys: true,
    validKeyId: (keyId) => {
      const recipients = ageRecipients(keyId);
      return recipients.length <= maxAgeStanzas && recipients.every((r) => ageRecipientPattern.test(r) && ageRecipientProblem(r) === undefined);
    },
    keyIdForm: 'age recipients (age1…)',
    maxWrappedBytes: 16 * 1024,
    wrappedProblem: (wrapped) => {
      const stanzas = ageStanzas(wrapped);
      if (!stanzas) return 'is not an age-encrypted data key';
      if (stanzas.length > maxAgeStanzas) return `has ${stanzas.length} recipient stanzas; kmsecret writes at most ${maxAgeStanzas}`;
      return undefined;
    },
    keyIdProblem: (keyId, wrapped) => {
      const listed = ageRecipients(keyId).length;
      const stanzas = ageStanzas(wrapped)?.length ?? 0;
      return listed === stanzas
        ? undefined
        : `its header lists ${listed} recipient${listed === 1 ? '' : 's'}, but its data key is encrypted to ${stanzas}: the header was edited`;
    },
    async load(settings) {
      const { AgeProvider } = await import('./age.js');
      return new AgeProvider(settings.age);
    },
  },
  aws: {
    recognises: (key) => awsKeyPattern.test(key),
    multipleKeys: false,
    validKeyId: (keyId) => awsKeyArnPattern.test(keyId),
    keyIdForm: 'an AWS KMS key ARN',
    // KMS's own limit on a ciphertext blob.
    maxWrappedBytes: 6144,
    allowedBy: awsKeyAllowed,
    async load(settings) {
      // The SDK warns on stderr about Node versions at client creation; a successful run prints nothing there.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { AwsKmsProvider } = await import('./aws-kms.js');
      return new AwsKmsProvider({ maxSockets: settings.maxSockets });
    },
  },
};

export function isProviderName(name: string): name is ProviderName {
  return (providerNames as readonly string[]).includes(name);
}

export interface KeySpec {
  provider: ProviderName;
  /** What the provider records: an AWS key (as given; the ARN once KMS answers), or age recipients joined by ','. */
  keyId: string;
}

/** `--key` values: one key of one provider, or several where the provider takes several (age). */
export function parseKeySpec(keys: readonly string[], flag = '--key'): KeySpec {
  if (keys.length === 0) throw usageError('no key given', `pass ${flag} age1… (see \`kmsecret keygen\`) or ${flag} alias/NAME / a KMS key ARN`);
  const kinds = keys.map((key) => providerNames.find((name) => providers[name].recognises(key)));
  const unknown = keys.findIndex((_, i) => kinds[i] === undefined);
  if (unknown !== -1) {
    const key = keys[unknown] as string;
    if (/^AGE-SECRET-KEY-/i.test(key))
      throw usageError(
        `${flag} got an age identity, which is a secret key`,
        'pass its recipient (age1…, printed by `kmsecret keygen`); keep the identity in KMSECRET_AGE_KEY_FILE',
      );
    throw usageError(`${flag} ${quoteArgument(key)} is neither an age recipient (age1…) nor an AWS KMS key (key ARN, alias ARN, alias/NAME, key id)`);
  }
  const provider = kinds[0] as ProviderName;
  if (kinds.some((k) => k !== provider)) throw usageError(`${flag} takes keys of one provider, not a mix`);
  if (keys.length > 1 && !providers[provider].multipleKeys) throw usageError(`${flag} takes one ${provider} key`);
  return { provider, keyId: keys.join(',') };
}

export interface ProviderSet {
  get(name: ProviderName): Promise<KeyProvider>;
}

/** Loads each provider once, on first use. */
export function providerSet(settings: Settings): ProviderSet {
  const loaded = new Map<ProviderName, Promise<KeyProvider>>();
  return {
    get(name) {
      let provider = loaded.get(name);
      if (!provider) {
        provider = providers[name].load(settings).catch((error: unknown) => {
          // The loader's message names the missing file of kmsecret's own; it holds no input.
          const why = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : 'unknown error';
          throw new KmsecretError('internal', `cannot load the ${name} provider (${why})`, {}, 'the installation is incomplete: reinstall kmsecret');
        });
        loaded.set(name, provider);
      }
      return provider;
    },
  };
}
