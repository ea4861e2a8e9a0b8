// The embedded default provider: age X25519 (the `age-encryption` package), so
// the whole flow works offline. A data key is wrapped as an ordinary binary age
// file whose payload is the 32 raw key bytes, so `age -d -i KEY` opens it.
// age has no associated data: the binding is enforced by the value's AEAD data.
import { readFileSync } from 'node:fs';
import * as age from 'age-encryption';
import { keyBytes, newKey } from '../crypto/aes-gcm.js';
import type { Settings } from '../settings.js';
import { ageRecipientPattern, ageRecipientProblem, ageRecipients, ageStanzas } from './key-forms.js';
import { type DataKey, type KeyProvider, ProviderError, type Unwrapped, type Wrapped } from './provider.js';

const keyHint = 'set KMSECRET_AGE_KEY_FILE to your age identity file (from `kmsecret keygen`), or KMSECRET_AGE_KEY to its contents';

/** The identities, from (in order) KMSECRET_AGE_KEY, KMSECRET_AGE_KEY_FILE, $XDG_CONFIG_HOME/kmsecret/age.key. */
export function loadAgeIdentities(source: Settings['age']): string[] {
  let text: string;
  let from: string;
  if (source.key) {
    text = source.key;
    from = 'KMSECRET_AGE_KEY';
  } else {
    const file = source.keyFile ?? source.defaultKeyFile;
    from = source.keyFile ? 'the file KMSECRET_AGE_KEY_FILE names' : file;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ProviderError('credentials', `no age identity: cannot read ${from}`, keyHint);
    }
  }
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (identities.length === 0 || !identities.every((line) => line.startsWith('AGE-SECRET-KEY-1'))) {
    throw new ProviderError('credentials', `${from} does not hold age identities (lines starting AGE-SECRET-KEY-1)`, keyHint);
  }
  return identities;
}

/** What a wrapped key says about itself, from its own stanzas (the token header's
 *  recipient list is not authenticated, so it is never what a message repeats). */
function stanzaSummary(wrapped: Uint8Array): string {
  const stanzas = ageStanzas(wrapped) ?? [];
  const counts = new Map<string, number>();
  for (const s of stanzas) counts.set(s, (counts.get(s) ?? 0) + 1);
  return (
    [...counts].map(([type, n]) => `${n} ${/^[A-Za-z0-9-]{1,32}$/.test(type) ? type : 'unknown'} recipient${n === 1 ? '' : 's'}`).join(', ') || 'no recipients'
  );
}

export class AgeProvider implements KeyProvider {
  #decrypter: age.Decrypter | undefined;

  constructor(private readonly source: Settings['age']) {}

  async generateDataKey(keyId: string): Promise<DataKey> {
    const plaintext = newKey();
    return { plaintext, wrapped: await this.#wrap(plaintext, keyId), keyId };
  }

  async wrapDataKey(dataKey: Uint8Array, keyId: string): Promise<Wrapped> {
    return { wrapped: await this.#wrap(dataKey, keyId), keyId };
  }

  async unwrapDataKey(wrapped: Uint8Array): Promise<Unwrapped> {
    let key: Uint8Array;
    try {
      key = await this.#identities().decrypt(wrapped);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const noMatch = error instanceof Error && /no identity matched/.test(error.message);
      throw noMatch
        ? new ProviderError('denied', `none of your age identities can open this data key (it is encrypted to ${stanzaSummary(wrapped)})`, keyHint)
        : new ProviderError('rejected', 'the age-wrapped data key is damaged (tampered or truncated)');
    }
    if (key.length !== keyBytes) throw new ProviderError('rejected', 'the age-wrapped data key is not a kmsecret data key');
    return { plaintext: key, keyId: '' };
  }

  async ownKeyIds(): Promise<string[]> {
    let identities: string[];
    try {
      identities = loadAgeIdentities(this.source);
    } catch {
      return [];
    }
    return Promise.all(identities.map((identity) => age.identityToRecipient(identity)));
  }

  async #wrap(dataKey: Uint8Array, keyId: string): Promise<Uint8Array> {
    const encrypter = new age.Encrypter();
    for (const recipient of ageRecipients(keyId)) {
      const problem = ageRecipientPattern.test(recipient) ? ageRecipientProblem(recipient) : 'is not an age X25519 recipient (age1…)';
      if (problem !== undefined) throw new ProviderError('credentials', `an age recipient ${problem}`);
      encrypter.addRecipient(recipient);
    }
    return encrypter.encrypt(dataKey);
  }

  #identities(): age.Decrypter {
    if (!this.#decrypter) {
      const decrypter = new age.Decrypter();
      for (const identity of loadAgeIdentities(this.source)) {
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
