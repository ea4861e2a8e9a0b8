import { createHash } from 'node:crypto';
import { usageError } from '../errors.js';
import type { Command } from './command.js';
import { readText } from './files.js';
import { findTokens } from './tokens-in.js';

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);

/** A token as git diff shows it: the key, and fingerprints of the data key and of the sealed value. */
export function fingerprint(token: string, keyId: string): string {
  const fields = token.split(':');
  return `kmsecret:${fields[1]}:${fields[2]} key=${keyId} datakey=${short(fields[4] ?? '')} value=${short(fields[5] ?? '')}`;
}

export const textconv: Command = {
  name: 'textconv',
  summary: 'print a file with tokens shortened to fingerprints (git textconv driver)',
  help: `Usage: kmsecret textconv FILE

Prints FILE with each token replaced by a readable fingerprint
("kmsecret:v1:aws key=arn:… datakey=3f2a… value=9c1b…"), so that git diff shows
one short line per changed value. Set up by \`kmsecret git-setup\`. Nothing is
decrypted: the fingerprints are hashes of ciphertext.

Example:
  git config diff.kmsecret.textconv "kmsecret textconv"`,
  flags: {},
  async run(args, io) {
    const [file, ...rest] = args.positional;
    if (!file || rest.length > 0) throw usageError('textconv takes one FILE');
    let text = readText(file, io.cwd);
    for (const { text: token, token: parsed } of findTokens(text, file)) text = text.split(token).join(fingerprint(token, parsed.keyId));
    io.stdout(text);
  },
};
