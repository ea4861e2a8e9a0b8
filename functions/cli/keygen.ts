import { fstatSync } from 'node:fs';
import { usageError } from '../errors.js';
import { generateAgeIdentity } from '../providers/age.js';
import { flag, one, outputFileFlag } from './args.js';
import type { Command } from './command.js';
import { checkOutputFile, writeFileAtomic } from './files.js';

export const keygen: Command = {
  name: 'keygen',
  summary: 'make a local age key (no cloud needed)',
  help: `Usage: kmsecret keygen [-w FILE]

Prints a new age X25519 identity in the age-keygen file format (the age CLI
reads it too) and its recipient (age1…) on stderr. Encrypt with the recipient
(--key age1…); decrypt with the identity (KMSECRET_AGE_KEY_FILE=FILE, or
KMSECRET_AGE_KEY holding it).

As everywhere in kmsecret, -o is an output format (as in kubectl), not a file:
age-keygen's -o FILE is --output-file FILE (-w FILE) here.

Flags:
  -w, --output-file FILE   write FILE with mode 0600 (refuses to replace it without --force)
      --force              replace FILE

Example:
  mkdir -p ~/.config/kmsecret && kmsecret keygen -w ~/.config/kmsecret/age.key`,
  flags: { 'output-file': outputFileFlag, force: { type: 'boolean' } },
  async run(args, ctx) {
    if (args.positional.length > 0) throw usageError('keygen takes no arguments', 'write the key to a file with --output-file FILE (-w FILE)');
    const output = one(args, 'output-file');
    if (output !== undefined) checkOutputFile(output, ctx.cwd, { replace: flag(args, 'force') });
    const { identity, recipient } = await generateAgeIdentity();
    const text = `# created: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
    if (output !== undefined) {
      writeFileAtomic(output, ctx.cwd, text, { replace: flag(args, 'force'), private: true });
    } else {
      // As age-keygen does: a key redirected into a file others can read deserves a warning.
      try {
        const stat = fstatSync(1);
        if (stat.isFile() && (stat.mode & 0o077) !== 0)
          ctx.stderr('warning: writing the secret key to a file others can read; chmod 600 it (or use -o FILE)\n');
      } catch {
        // stdout is not a file descriptor we can inspect
      }
      ctx.stdout(text);
    }
    ctx.stderr(`Public key: ${recipient}\n`);
  },
};
