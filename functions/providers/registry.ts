// Which provider a key belongs to, and loading providers only when a token or
// a --key needs them: the AWS SDK costs tens of milliseconds to load, and a
// render with no AWS token must not pay for it.
import { KmsecretError, usageError } from '../errors.js';
import type { ProviderName } from '../token/token.js';
import { ageRecipientPattern, awsKeyPattern } from './key-forms.js';
import type { KeyProvider } from './provider.js';

export interface KeySpec {
  provider: ProviderName;
  /** What the provider records: an AWS key (as given; the ARN once KMS answers), or age recipients joined by ','. */
  keyId: string;
}

/** `--key` values: one AWS KMS key, or one or more age recipients. */
export function parseKeySpec(keys: string[]): KeySpec {
  if (keys.length === 0) throw usageError('no key given', 'pass --key age1… (see `kmsecret keygen`) or --key alias/NAME / a KMS key ARN');
  const kinds = keys.map((key) => (ageRecipientPattern.test(key) ? 'age' : awsKeyPattern.test(key) ? 'aws' : undefined));
  const unknown = keys.find((_, i) => kinds[i] === undefined);
  if (unknown !== undefined) {
    throw usageError(`--key ${unknown} is neither an age recipient (age1…) nor an AWS KMS key (key ARN, alias ARN, alias/NAME, key id)`);
  }
  if (kinds.every((k) => k === 'age')) return { provider: 'age', keyId: keys.join(',') };
  if (keys.length === 1) return { provider: 'aws', keyId: keys[0] as string };
  throw usageError('--key takes one AWS KMS key, or one or more age recipients, not a mix');
}

export interface ProviderSet {
  get(name: ProviderName): Promise<KeyProvider>;
}

/** Loads each provider once, on first use. */
export function providerSet(env: NodeJS.ProcessEnv = process.env): ProviderSet {
  const loaded = new Map<ProviderName, Promise<KeyProvider>>();
  const load = async (name: ProviderName): Promise<KeyProvider> => {
    switch (name) {
      case 'age': {
        const { AgeProvider } = await import('./age.js');
        return new AgeProvider(env);
      }
      case 'aws': {
        // The SDK warns on stderr about Node 20 at client creation; a successful run prints nothing there.
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
        const { AwsKmsProvider } = await import('./aws-kms.js');
        const sockets = Number(env.KMSECRET_MAX_SOCKETS);
        return new AwsKmsProvider(Number.isInteger(sockets) && sockets > 0 ? { maxSockets: sockets } : {});
      }
    }
  };
  return {
    get(name) {
      let provider = loaded.get(name);
      if (!provider) {
        provider = load(name).catch((error: unknown) => {
          throw new KmsecretError('internal', `cannot load the ${name} provider (${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'})`, {}, 'the installation is incomplete: reinstall kmsecret');
        });
        loaded.set(name, provider);
      }
      return provider;
    },
  };
}
