// Sealing and opening values. A Sealer holds one data key (made by the key
// service for one home: a Secret, or a workload's env) and turns plaintexts
// into tokens bound to that home and their own key names; openToken is its
// inverse. Both follow the layout in token.ts.
import { open, seal } from '../crypto/aes-gcm.js';
import type { DataKey, EncryptionContext } from '../providers/provider.js';
import type { ProviderName } from '../providers/registry.js';
import { type Binding, bindingFor, encryptionContext, type Scope, type Use } from './binding.js';
import { aadFor, formatToken, type Token } from './token.js';

/** What every value of one data key shares. */
export interface SealerHome {
  use: Use;
  scope: Scope;
  namespace: string;
  name: string;
}

/** The KMS encryption context of a data key made for `home`. */
export function dataKeyContext(home: SealerHome): EncryptionContext {
  return encryptionContext(bindingFor(home.scope, { ...home, key: '' }));
}

export class Sealer {
  constructor(
    readonly provider: ProviderName,
    private readonly dataKey: DataKey,
    readonly home: SealerHome,
  ) {}

  get keyId(): string {
    return this.dataKey.keyId;
  }

  bindingOf(key: string): Binding {
    return bindingFor(this.home.scope, { use: this.home.use, namespace: this.home.namespace, name: this.home.name, key });
  }

  /** `nonce` only for test vectors: every real seal draws a fresh one. */
  seal(key: string, plaintext: Uint8Array, nonce?: Uint8Array): string {
    const binding = this.bindingOf(key);
    const sealed = seal(this.dataKey.plaintext, plaintext, aadFor(binding), nonce);
    return formatToken({ provider: this.provider, keyId: this.dataKey.keyId, binding, wrapped: this.dataKey.wrapped, sealed });
  }
}

/** The value of `token` under its (unwrapped) data key, or undefined if it is not authentic. */
export function openToken(token: Pick<Token, 'sealed' | 'aad'>, dataKey: Uint8Array): Uint8Array | undefined {
  return open(dataKey, token.sealed, token.aad);
}
