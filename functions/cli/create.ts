import { usageError } from '../errors.js';
import { dataKeyContext, Sealer, type SealerHome } from '../token/sealer.js';
import { all, flag, one } from './args.js';
import type { Command } from './command.js';
import { writeFileAtomic } from './files.js';
import { requireKeySpec, requireName, requireNamespace, scopeFrom } from './keys.js';
import { newKmsSecretText } from './kmssecret-file.js';
import { collectValues } from './values.js';

function pairs(list: string[], flagName: string): Record<string, string> {
  return Object.fromEntries(
    list.map((text) => {
      const eq = text.indexOf('=');
      if (eq <= 0) throw usageError(`${flagName} takes KEY=VALUE`);
      return [text.slice(0, eq), text.slice(eq + 1)];
    }),
  );
}

export const create: Command = {
  name: 'create',
  summary: 'write a new KmsSecret with encrypted values',
  help: `Usage: kmsecret create NAME -n NAMESPACE --key KEY [--from-file [KEY=]PATH] [--from-env-file PATH] [--from-literal KEY=VALUE] [-o FILE]

Encrypts every value under one new data key (one provider call), bound to
NAMESPACE/NAME and its own key name, and prints the KmsSecret (or writes -o FILE).
The flags follow \`kubectl create secret generic\`.

Flags:
  -n, --namespace NS        the Secret's namespace (required unless --scope cluster-wide)
      --key KEY             age recipient (age1…, repeatable) or AWS KMS key (ARN, alias/NAME, key id);
                            default: $KMSECRET_KEY
      --from-file [KEY=]PATH  a file's bytes (KEY defaults to the file name; a directory adds each file;
                            PATH - reads stdin)
      --from-env-file PATH  KEY=VALUE lines
      --from-literal KEY=VALUE  a literal value (it stays in your shell history: prefer the others)
      --type TYPE           Secret type (default Opaque), e.g. kubernetes.io/tls
      --label KEY=VALUE     a label for the Secret (repeatable)
      --annotation KEY=VALUE  an annotation for the Secret (repeatable)
      --scope SCOPE         strict (default), namespace-wide or cluster-wide
  -o, --output FILE         write FILE instead of stdout (refuses to replace it without --force)
      --force               replace FILE

Example:
  kmsecret create app-secrets -n team-a --key alias/team-a \\
      --from-file tls.crt=./tls.crt --from-env-file ./prod.env -o app-secrets.kmsecret.yaml`,
  flags: {
    namespace: { type: 'string', short: 'n' },
    key: { type: 'string', repeat: true },
    'from-file': { type: 'string', repeat: true },
    'from-env-file': { type: 'string', repeat: true },
    'from-literal': { type: 'string', repeat: true },
    type: { type: 'string' },
    label: { type: 'string', repeat: true },
    annotation: { type: 'string', repeat: true },
    scope: { type: 'string' },
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  },
  async run(args, ctx) {
    const [name, ...rest] = args.positional;
    if (!name || rest.length > 0) throw usageError('create takes one NAME', 'kmsecret create NAME -n NAMESPACE --key KEY …');
    requireName(name, 'NAME');
    const scope = scopeFrom(one(args, 'scope'), []);
    const namespace = requireNamespace(one(args, 'namespace'), scope);
    const spec = requireKeySpec(all(args, 'key'), ctx.settings);
    const values = await collectValues({ literals: all(args, 'from-literal'), files: all(args, 'from-file'), envFiles: all(args, 'from-env-file') }, ctx);
    const home: SealerHome = { use: 'secret', scope, namespace, name };
    const sealer = new Sealer(spec.provider, await ctx.keys.generate(spec, dataKeyContext(home)), home);
    const text = newKmsSecretText({
      name,
      namespace,
      type: one(args, 'type') ?? 'Opaque',
      labels: pairs(all(args, 'label'), '--label'),
      annotations: pairs(all(args, 'annotation'), '--annotation'),
      data: values.map(({ key, value }) => [key, sealer.seal(key, value)]),
    });
    const output = one(args, 'output');
    if (output) writeFileAtomic(output, ctx.cwd, text, { replace: flag(args, 'force') });
    else ctx.stdout(text);
  },
};
