import { usageError } from '../errors.js';
import { dataKeyContext, Sealer, type SealerHome } from '../token/sealer.js';
import { all, flag, one, outputFileFlag, outputFlag, outputFormat } from './args.js';
import type { Command } from './command.js';
import { checkOutputFile, writeFileAtomic } from './files.js';
import { type PlainSecret, readPlainSecret } from './from-secret.js';
import { requireKeySpec, requireLabelValue, requireMetadataKey, requireName, requireNamespace, scopeFrom } from './keys.js';
import { newKmsSecretText } from './kmssecret-file.js';
import { checkValues, claimStdin, collectValues, Stdin } from './values.js';
import { readText } from './files.js';

function pairs(list: string[], flagName: '--label' | '--annotation'): Record<string, string> {
  return Object.fromEntries(
    list.map((text) => {
      const eq = text.indexOf('=');
      if (eq <= 0) throw usageError(`${flagName} takes KEY=VALUE`);
      const key = requireMetadataKey(text.slice(0, eq), flagName);
      const value = text.slice(eq + 1);
      return [key, flagName === '--label' ? requireLabelValue(value) : value];
    }),
  );
}

export const create: Command = {
  name: 'create',
  summary: 'write a new KmsSecret with encrypted values',
  help: `Usage: kmsecret create NAME -n NAMESPACE --key KEY [--from-file [KEY=]PATH] [--from-env-file PATH] [--from-literal KEY=VALUE] [-w FILE]
       kubectl create secret generic NAME … --dry-run=client -o yaml | kmsecret create --key KEY [-w FILE]

Encrypts every value under one new data key (one provider call), bound to
NAMESPACE/NAME and its own key name, and prints the KmsSecret (or writes it to
--output-file). The flags follow \`kubectl create secret generic\`.

A plain Secret (YAML or JSON) given with --from-secret, or piped in when no
other value is given, is converted: its name, namespace, type, labels,
annotations and values (data and stringData) become the KmsSecret's; NAME, -n
and the other flags override them. kubectl's last-applied-configuration
annotation, which holds the values in plaintext, is left out.

Flags:
  -n, --namespace NS          the Secret's namespace (required unless --scope cluster-wide)
      --key KEY               age recipient (age1…, repeatable) or AWS KMS key (ARN, alias/NAME, key id);
                              default: $KMSECRET_KEY
      --from-file [KEY=]PATH  a file's bytes (KEY defaults to the file name; a directory adds each file;
                              KEY=- reads stdin)
      --from-env-file PATH    KEY=VALUE lines
      --from-literal KEY=VALUE  a literal value (it stays in your shell history: prefer the others)
      --from-secret PATH      a plain Secret to convert (- for stdin)
      --allow-empty           accept empty values (refused otherwise: an empty pipe is a mistake)
      --type TYPE             Secret type (default Opaque), e.g. kubernetes.io/tls
      --label KEY=VALUE       a label for the Secret (repeatable)
      --annotation KEY=VALUE  an annotation for the Secret (repeatable)
      --scope SCOPE           strict (default), namespace-wide or cluster-wide
  -o, --output FORMAT         yaml (default) or json
  -w, --output-file FILE      write FILE instead of stdout (refuses to replace it without --force)
      --force                 replace FILE

Examples:
  kmsecret create app-secrets -n team-a --key alias/team-a \\
      --from-file tls.crt=./tls.crt --from-env-file ./prod.env -w app-secrets.kmsecret.yaml
  kubectl get secret app-secrets -n team-a -o yaml | kmsecret create --key alias/team-a -w app-secrets.kmsecret.yaml`,
  flags: {
    namespace: { type: 'string', short: 'n' },
    key: { type: 'string', repeat: true },
    'from-file': { type: 'string', repeat: true },
    'from-env-file': { type: 'string', repeat: true },
    'from-literal': { type: 'string', repeat: true },
    'from-secret': { type: 'string' },
    'allow-empty': { type: 'boolean' },
    type: { type: 'string' },
    label: { type: 'string', repeat: true },
    annotation: { type: 'string', repeat: true },
    scope: { type: 'string' },
    output: outputFlag,
    'output-file': outputFileFlag,
    force: { type: 'boolean' },
  },
  async run(args, ctx) {
    if (args.positional.length > 1) throw usageError('create takes one NAME', 'kmsecret create NAME -n NAMESPACE --key KEY …');
    const format = outputFormat(args, ['yaml', 'json'] as const, true);
    const output = one(args, 'output-file');
    if (output !== undefined) checkOutputFile(output, ctx.cwd, { replace: flag(args, 'force') });
    const spec = requireKeySpec(all(args, 'key'), ctx.settings);
    const scope = scopeFrom(one(args, 'scope'), []);
    const valueFlags = { literals: all(args, 'from-literal'), files: all(args, 'from-file'), envFiles: all(args, 'from-env-file') };
    const stdin = new Stdin(ctx);
    claimStdin(valueFlags, stdin);
    // kubeseal's habit: a Secret piped into create is converted, never ignored.
    let secretSource = one(args, 'from-secret');
    const noValueFlags = valueFlags.literals.length + valueFlags.files.length + valueFlags.envFiles.length === 0;
    let piped = false;
    if (secretSource === undefined && noValueFlags && !ctx.stdinIsTTY) {
      secretSource = '-';
      piped = true;
    }
    if (secretSource === '-') stdin.claim('--from-secret -');
    let plain: PlainSecret | undefined;
    if (secretSource !== undefined) {
      const text = secretSource === '-' ? await stdin.text() : readText(secretSource, ctx.cwd);
      // Nothing piped (stdin at its end): a KmsSecret with no values yet, as before.
      if (!(piped && text.trim() === '')) plain = readPlainSecret(text, secretSource === '-' ? '(stdin)' : secretSource);
    }
    const name = args.positional[0] ?? plain?.name;
    if (!name) throw usageError('create takes the NAME of the Secret', 'kmsecret create NAME -n NAMESPACE --key KEY …');
    requireName(name, args.positional[0] !== undefined ? 'NAME' : "the Secret's metadata.name");
    const namespace = requireNamespace(one(args, 'namespace') ?? plain?.namespace, scope);
    const values = [...(plain?.values ?? []), ...(await collectValues(valueFlags, ctx, stdin))];
    checkValues(values, flag(args, 'allow-empty'));
    if (plain && plain.dropped.length > 0) ctx.stderr(`note: left out the annotation${plain.dropped.length === 1 ? '' : 's'} ${plain.dropped.join(', ')}\n`);
    if (values.length === 0) ctx.stderr(`note: ${name} has no values yet; add them with \`kmsecret set FILE KEY\`\n`);
    const home: SealerHome = { use: 'secret', scope, namespace, name };
    const sealer = new Sealer(spec.provider, await ctx.keys.generate(spec, dataKeyContext(home)), home);
    const text = newKmsSecretText(
      {
        name,
        namespace,
        type: one(args, 'type') ?? plain?.type ?? 'Opaque',
        ...(plain?.immutable ? { immutable: true } : {}),
        labels: { ...plain?.labels, ...pairs(all(args, 'label'), '--label') },
        annotations: { ...plain?.annotations, ...pairs(all(args, 'annotation'), '--annotation') },
        data: values.map(({ key, value }) => [key, sealer.seal(key, value)]),
      },
      format,
    );
    if (output !== undefined) writeFileAtomic(output, ctx.cwd, text, { replace: flag(args, 'force') });
    else ctx.stdout(text);
  },
};
