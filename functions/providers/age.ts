// The embedded default provider: age X25519 (the `age-encryption` package), so
// the whole flow works offline. A data key is wrapped as an ordinary binary age
// file whose payload is the 32 raw key bytes, so `age -d -i KEY` opens it.
// age has no associated data: the binding is enforced by the value's AEAD,
// whose authenticated data is the token header holding the binding.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { newDataKey } from '../crypto/envelope.js';
import type { EncryptionContext } from '../token/binding.js';
import { ageRecipientPattern } from './key-forms.js';
import { type DataKey, type KeyProvider, ProviderError } from './provider.js';

/** Where the identities come from, in order: KMSECRET_AGE_KEY (the key itself),
 *  KMSECRET_AGE_KEY_FILE, then $XDG_CONFIG_HOME/kmsecret/age.key. */
export function defaultAgeKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'kmsecret', 'age.key');
}

const keyHint = 'set KMSECRET_AGE_KEY_FILE to your age identity file (from `kmsecret keygen`), or KMSECRET_AGE_KEY to its contents';

export function loadAgeIdentities(env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  let source: string;
  if (env.KMSECRET_AGE_KEY) {
    text = env.KMSECRET_AGE_KEY;
    source = 'KMSECRET_AGE_KEY';
  } else {
    const file = env.KMSECRET_AGE_KEY_FILE || defaultAgeKeyFile(env);
    source = env.KMSECRET_AGE_KEY_FILE ? `KMSECRET_AGE_KEY_FILE (${file})` : file;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ProviderError('credentials', `no age identity: cannot read ${source}`, keyHint);
    }
  }
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (identities.length === 0 || !identities.every((line) => line.startsWith('AGE-SECRET-KEY-1'))) {
    throw new ProviderError('credentials', `${source} does not hold age identities (lines starting AGE-SECRET-KEY-1)`, keyHint);
  }
  return identities;
}

export function recipientsOf(keyId: string): string[] {
  return keyId.split(',');
}

export class AgeProvider implements KeyProvider {
  readonly name = 'age' as const;
  #decrypter: age.Decrypter | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async generateDataKey(keyId: string, _context: EncryptionContext): Promise<DataKey> {
    const plaintext = newDataKey();
    return { plaintext, wrapped: await this.#wrap(plaintext, keyId), keyId };
  }

  async wrapDataKey(dataKey: Uint8Array, keyId: string, _context: EncryptionContext) {
    return { wrapped: await this.#wrap(dataKey, keyId), keyId };
  }

  async unwrapDataKey(wrapped: Uint8Array, keyId: string, _context: EncryptionContext): Promise<Uint8Array> {
    let key: Uint8Array;
    try {
      key = await this.#identities().decrypt(wrapped);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const noMatch = error instanceof Error && /no identity matched/.test(error.message);
      throw noMatch
        ? new ProviderError(
            'denied',
            `none of your age identities can open this data key; it was written for ${recipientsOf(keyId).join(', ')}`,
            keyHint,
          )
        : new ProviderError('rejected', 'the age-wrapped data key is damaged (tampered or truncated)');
    }
    if (key.length !== 32) throw new ProviderError('rejected', 'the age-wrapped data key is not a kmsecret data key');
    return key;
  }

  async rewrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, toKeyId: string) {
    const key = await this.unwrapDataKey(wrapped, keyId, context);
    return { wrapped: await this.#wrap(key, toKeyId), keyId: toKeyId };
  }

  async #wrap(dataKey: Uint8Array, keyId: string): Promise<Uint8Array> {
    const encrypter = new age.Encrypter();
    for (const recipient of recipientsOf(keyId)) {
      if (!ageRecipientPattern.test(recipient)) {
        throw new ProviderError('credentials', `"${recipient}" is not an age X25519 recipient (age1…)`);
      }
      encrypter.addRecipient(recipient);
    }
    return encrypter.encrypt(dataKey);
  }

  #identities(): age.Decrypter {
    if (!this.#decrypter) {
      const decrypter = new age.Decrypter();
      for (const identity of loadAgeIdentities(this.env)) {
        try {
          decrypter.addIdentity(identity);
        } catch {
          throw new ProviderError('credentials', 'an age identity in your key file is malformed', keyHint);
        }
      }
      this.#decrypter = decrypter;
    }
    return this.#decrypter;
  }
}

export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = await age.generateX25519Identity();
  return { identity, recipient: await age.identityToRecipient(identity) };
}
