// A token as `git diff` shows it (kmsecret textconv): its key and binding, and
// short hashes of the wrapped data key and of the sealed value, so a changed
// value is one changed line and a re-wrapped one shows the same value hash.
import { createHash } from 'node:crypto';
import { isTokenProblem, parseToken } from './token.js';
import { parseV1Token } from './v1.js';

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);

/** The fingerprint of a token's text, or undefined when it is not a sound token. */
export function fingerprint(text: string): string | undefined {
  const token = parseToken(text);
  if (!isTokenProblem(token)) {
    const { use, scope } = token.binding;
    return `kmsecret:v2:${token.provider} key=${token.keyId} use=${use} scope=${scope} datakey=${short(token.wrappedKeyText)} value=${short(token.sealedText)}`;
  }
  const v1 = parseV1Token(text);
  if (v1) return `kmsecret:v1:${v1.provider} key=${v1.keyId} scope=${v1.binding.scope} datakey=${short(v1.wrappedKeyText)} value=${short(v1.sealedText)}`;
  return undefined;
}
