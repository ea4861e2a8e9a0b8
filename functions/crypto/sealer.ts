// Writing tokens: one data key (one provider call) seals any number of values
// of one home (a Secret, or a workload's env), each bound to its own key name.
import type { KeyProvider } from '../providers/provider.js';
import { type Binding, bindingFor, encryptionContext, type Scope } from '../token/binding.js';
import { aadFor, formatToken, type ProviderName, tokenHead } from '../token/token.js';
import { seal } from './envelope.js';

export interface SealerHome {
  scope: Scope;
  namespace: string;
  name: string;
}

export class Sealer {
  private constructor(
    readonly provider: ProviderName,
    readonly keyId: string,
    readonly home: SealerHome,
    private readonly dataKey: Uint8Array,
    private readonly wrapped: Uint8Array,
  ) {}

  /** A fresh data key from the provider. */
  static async create(provider: KeyProvider, keyId: string, home: SealerHome): Promise<Sealer> {
    const context = encryptionContext(bindingFor(home.scope, { ...home, key: '' }));
    const dataKey = await provider.generateDataKey(keyId, context);
    return new Sealer(provider.name, dataKey.keyId, home, dataKey.plaintext, dataKey.wrapped);
  }

  /** An existing data key (already unwrapped), so new values join its tokens' single provider call. */
  static reuse(provider: ProviderName, keyId: string, home: SealerHome, dataKey: Uint8Array, wrapped: Uint8Array): Sealer {
    return new Sealer(provider, keyId, home, dataKey, wrapped);
  }

  bindingOf(key: string): Binding {
    return bindingFor(this.home.scope, { namespace: this.home.namespace, name: this.home.name, key });
  }

  seal(key: string, plaintext: Uint8Array): string {
    const binding = this.bindingOf(key);
    const head = tokenHead(this.provider, { keyId: this.keyId, binding }, this.wrapped);
    return formatToken(head, seal(this.dataKey, plaintext, aadFor(binding)));
  }
}
