import { inputError, usageError } from '../errors.js';
import { writeStream } from '../krm/resource-list.js';
import { parseChunk } from '../krm/yaml.js';
import type { SecretObject } from '../render/apply.js';
import { flag, one, outputFileFlag, outputFlag, outputFormat } from './args.js';
import type { Command } from './command.js';
import { checkOutputFile, writeFileAtomic } from './files.js';
import { requireName } from './keys.js';
import { fileItems, renderItems } from './render-file.js';

const formats = ['yaml', 'json', 'env'] as const;
type Format = (typeof formats)[number];

/** One line a POSIX shell's `.`/`source` reads back as exactly this value: plain where only
 *  safe characters occur, else single-quoted (inside single quotes nothing is expanded:
 *  no $(…), no backticks, no variables), a quote written as '\''. */
export function envLine(key: string, value: Uint8Array): string {
  const text = Buffer.from(value).toString('utf8');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw inputError('-o env: a key is not a shell variable name', {}, 'use -o yaml or -o json for Secrets with keys such as tls.crt');
  }
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(value)) || text.includes('\0')) {
    throw inputError(`-o env: the value of ${key} is binary, which a shell variable cannot hold`, {}, 'use -o yaml or -o json');
  }
  const plain = /^[A-Za-z0-9_./:@%+,=-]*$/.test(text);
  return `${key}=${plain ? text : `'${text.replace(/'/g, "'\\''")}'`}\n`;
}

export const decrypt: Command = {
  name: 'decrypt',
  summary: 'print the plain Secret(s) of a file, for debugging',
  help: `Usage: kmsecret decrypt FILE [-o yaml|json|env] [--name NAME] [-w OUT [--force]]

Renders FILE the way kmsecret-fn would (every KmsSecret becomes its Secret,
encrypted env values are decrypted) and prints the result. Needs the
credentials that can decrypt it. Plaintext goes only where you send it:
--output-file writes a new file with mode 0600 and refuses to replace one
without --force.

Flags:
  -o, --output FORMAT       yaml (default): the rendered resources; json: the same as JSON;
                            env: KEY=VALUE lines of one Secret, safe to source in a shell
                            (--format FORMAT is the older name of this flag)
      --name NAME           with -o env, the Secret to print when FILE holds several
  -w, --output-file OUT     write OUT (mode 0600) instead of stdout
      --force               replace OUT

Example:
  kmsecret decrypt overlays/prod/app-secrets.kmsecret.yaml -o env`,
  flags: {
    output: outputFlag,
    format: { type: 'string' },
    name: { type: 'string' },
    'output-file': outputFileFlag,
    force: { type: 'boolean' },
  },
  async run(args, ctx) {
    const [file, ...rest] = args.positional;
    if (!file || rest.length > 0) throw usageError('decrypt takes one FILE');
    const format: Format = outputFormat(args, formats, true, 'format');
    const name = one(args, 'name');
    if (name !== undefined) {
      requireName(name, '--name');
      if (format !== 'env') throw usageError('--name picks the Secret for -o env', 'yaml and json print every resource of FILE');
    }
    const output = one(args, 'output-file');
    if (output !== undefined) checkOutputFile(output, ctx.cwd, { replace: flag(args, 'force') });
    const outcome = await renderItems(fileItems(file, ctx), ctx);
    let text: string;
    if (format === 'yaml') text = writeStream(outcome.output);
    else {
      // A changed item is its written text (a splice of the source), so read that.
      const values = outcome.output.flatMap((out) =>
        out.kind === 'new'
          ? [out.value]
          : out.kind === 'changed'
            ? [parseChunk(out.text, false, {}).value]
            : out.items.slice(out.from, out.to).map((item) => item.parsed.value),
      );
      if (format === 'json') text = `${JSON.stringify(values.length === 1 ? values[0] : values, null, 2)}\n`;
      else {
        const secrets = (values as SecretObject[]).filter((v) => v.kind === 'Secret' && (name === undefined || v.metadata.name === name));
        if (secrets.length !== 1) {
          throw usageError(
            `-o env prints one Secret; ${file} renders ${secrets.length === 0 && name !== undefined ? `none named ${name}` : secrets.length}`,
            secrets.length === 0 && name === undefined ? 'use -o yaml or -o json for a file without Secrets' : 'pick one with --name',
          );
        }
        const secret = secrets[0] as SecretObject;
        text = Object.entries(secret.data)
          .map(([k, v]) => envLine(k, new Uint8Array(Buffer.from(v, 'base64'))))
          .join('');
      }
    }
    if (outcome.notice) ctx.stderr(`${outcome.notice}\n`);
    if (output !== undefined) writeFileAtomic(output, ctx.cwd, text, { replace: flag(args, 'force'), private: true });
    else ctx.stdout(text);
  },
};
