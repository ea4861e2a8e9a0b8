import { usageError } from '../errors.js';
import { fingerprint } from '../token/fingerprint.js';
import { tokensInText } from '../token/token.js';
import type { Command } from './command.js';
import { readText } from './files.js';

export const textconv: Command = {
  name: 'textconv',
  summary: 'print a file with tokens shortened to fingerprints (git textconv driver)',
  help: `Usage: kmsecret textconv FILE

Prints FILE with each token replaced by a readable fingerprint
("kmsecret:v2:aws key=arn:… use=secret scope=strict datakey=3f2a… value=9c1b…"),
so that git diff shows one short line per changed value. Set up by
\`kmsecret git-setup\`. Nothing is decrypted: the fingerprints are hashes of
ciphertext. The file is not parsed, so a file with merge conflict markers shows
as it is; a damaged token stays as it was written.

Example:
  git config diff.kmsecret.textconv "kmsecret textconv"`,
  flags: {},
  async run(args, ctx) {
    const [file, ...rest] = args.positional;
    if (!file || rest.length > 0) throw usageError('textconv takes one FILE');
    ctx.stdout(readText(file, ctx.cwd).replace(tokensInText, (token) => fingerprint(token) ?? token));
  },
};
