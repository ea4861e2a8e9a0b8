import { usageError } from '../errors.js';
import { emitResource } from '../krm/emit.js';
import { dataKeyContext, Sealer, type SealerHome } from '../token/sealer.js';
import { envNamePattern } from '../token/token.js';
import { all, flag, one } from './args.js';
import type { Command } from './command.js';
import { readText } from './files.js';
import { requireKeySpec, requireName, requireNamespace, scopeFrom } from './keys.js';
import { checkValues, type NamedValue, parseEnvFile, Stdin } from './values.js';

export const encryptValue: Command = {
  name: 'encrypt-value',
  summary: 'encrypt a container env value for a workload (value on stdin)',
  help: `Usage: kmsecret encrypt-value --key KEY -n NAMESPACE --workload NAME --env VAR  < value
       kmsecret encrypt-value --key KEY -n NAMESPACE --workload NAME --from-env-file FILE

Prints a token to put straight into a container's env, bound to the workload
(its namespace and name) and the variable, as KmsSecret values are bound:

  env:
  - name: ACCESS_TOKEN
    value: kmsecret:v2:aws:…

The value is read from stdin, never from argv: at a terminal from a prompt
that does not show what you type (Enter ends it). With --from-env-file, every
KEY=VALUE line is encrypted under one data key (the workload then costs one KMS
call to render) and printed as env entries to paste.

Flags:
      --key KEY             age recipient (repeatable) or AWS KMS key; default $KMSECRET_KEY
  -n, --namespace NS        the workload's namespace (required unless --scope cluster-wide)
      --workload NAME       the workload's name (Deployment, StatefulSet, CronJob, …)
      --env VAR             the variable the value is for
      --from-env-file FILE  many variables at once
      --scope SCOPE         strict (default), namespace-wide or cluster-wide
      --allow-empty         accept an empty value (refused otherwise: an empty pipe is a mistake)

Example:
  printf %s "$ACCESS_TOKEN" | kmsecret encrypt-value --key alias/team-a -n team-a --workload web --env ACCESS_TOKEN`,
  flags: {
    key: { type: 'string', repeat: true },
    namespace: { type: 'string', short: 'n' },
    workload: { type: 'string' },
    env: { type: 'string' },
    'from-env-file': { type: 'string' },
    scope: { type: 'string' },
    'allow-empty': { type: 'boolean' },
  },
  async run(args, ctx) {
    if (args.positional.length > 0) throw usageError('encrypt-value takes no arguments: the value comes on stdin');
    const workload = one(args, 'workload');
    if (!workload)
      throw usageError(
        '--workload is required: the value is bound to the workload it is for',
        'the name of the Deployment, StatefulSet, CronJob … whose container gets it',
      );
    requireName(workload, '--workload');
    const variable = one(args, 'env');
    const envFile = one(args, 'from-env-file');
    if ((variable === undefined) === (envFile === undefined)) throw usageError('give either --env VAR (value on stdin) or --from-env-file FILE');
    const scope = scopeFrom(one(args, 'scope'), []);
    const namespace = requireNamespace(one(args, 'namespace'), scope);
    const spec = requireKeySpec(all(args, 'key'), ctx.settings);
    let values: NamedValue[];
    if (variable !== undefined) {
      if (!envNamePattern.test(variable)) throw usageError('--env is not a variable name (letters, digits, "_", "-", ".", not starting with a digit)');
      values = [await new Stdin(ctx).value(variable)];
    } else {
      const file = envFile as string;
      values = parseEnvFile(readText(file, ctx.cwd), file).map(([key, value]) => ({
        key,
        value: new TextEncoder().encode(value),
        source: `--from-env-file ${file}`,
      }));
      if (values.length === 0) throw usageError(`${file} holds no KEY=VALUE lines`);
      if (values.some(({ key }) => !envNamePattern.test(key))) throw usageError(`${file}: a line's key is not a variable name`);
    }
    checkValues(values, flag(args, 'allow-empty'));
    const pairs = values.map(({ key, value }) => [key, value] as [string, Uint8Array]);
    const home: SealerHome = { use: 'env', scope, namespace, name: workload };
    const sealer = new Sealer(spec.provider, await ctx.keys.generate(spec, dataKeyContext(home)), home);
    if (variable !== undefined) {
      ctx.stdout(`${sealer.seal(variable, (pairs[0] as [string, Uint8Array])[1])}\n`);
      return;
    }
    // env entries to paste under a container's env:
    ctx.stdout(pairs.map(([name, value]) => emitResource({ name, value: sealer.seal(name, value) }, true, 0)).join(''));
  },
};
