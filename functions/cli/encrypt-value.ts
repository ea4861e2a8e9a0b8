import { Sealer } from '../crypto/sealer.js';
import { usageError } from '../errors.js';
import { providerSet } from '../providers/registry.js';
import { all, one } from './args.js';
import type { Command } from './command.js';
import { readText } from './files.js';
import { requireKeySpec, requireNamespace, scopeFrom } from './keys.js';
import { parseEnvFile } from './values.js';
import { stringify } from 'yaml';

const envName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export const encryptValue: Command = {
  name: 'encrypt-value',
  summary: "encrypt a container env value for a workload (value on stdin)",
  help: `Usage: kmsecret encrypt-value --key KEY -n NAMESPACE --workload NAME --env VAR  < value
       kmsecret encrypt-value --key KEY -n NAMESPACE --workload NAME --from-env-file FILE

Prints a token to put straight into a container's env, bound to the workload
(its namespace and name) and the variable, as KmsSecret values are bound:

  env:
  - name: ACCESS_TOKEN
    value: kmsecret:v1:aws:…

The value is read from stdin, never from argv. With --from-env-file, every
KEY=VALUE line is encrypted under one data key (the workload then costs one KMS
call to render) and printed as env entries to paste.

Flags:
      --key KEY             age recipient (repeatable) or AWS KMS key; default $KMSECRET_KEY
  -n, --namespace NS        the workload's namespace (required unless --scope cluster-wide)
      --workload NAME       the workload's name (Deployment, StatefulSet, CronJob, …)
      --env VAR             the variable the value is for
      --from-env-file FILE  many variables at once
      --scope SCOPE         strict (default), namespace-wide or cluster-wide

Example:
  printf %s "$ACCESS_TOKEN" | kmsecret encrypt-value --key alias/team-a -n team-a --workload web --env ACCESS_TOKEN`,
  flags: {
    key: { type: 'string', repeat: true },
    namespace: { type: 'string', short: 'n' },
    workload: { type: 'string' },
    env: { type: 'string' },
    'from-env-file': { type: 'string' },
    scope: { type: 'string' },
  },
  async run(args, io) {
    if (args.positional.length > 0) throw usageError('encrypt-value takes no arguments: the value comes on stdin');
    const workload = one(args, 'workload');
    if (!workload) throw usageError('--workload is required: the value is bound to the workload it is for');
    const variable = one(args, 'env');
    const envFile = one(args, 'from-env-file');
    if ((variable === undefined) === (envFile === undefined)) throw usageError('give either --env VAR (value on stdin) or --from-env-file FILE');
    const scope = scopeFrom(one(args, 'scope'), []);
    const namespace = requireNamespace(one(args, 'namespace'), scope);
    const spec = requireKeySpec(all(args, 'key'), io.env);
    let pairs: Array<[string, Uint8Array]>;
    if (variable !== undefined) {
      if (!envName.test(variable)) throw usageError(`--env ${variable} is not a variable name`);
      if (io.stdinIsTTY) io.stderr(`Value for ${variable} (end with Ctrl-D): `);
      pairs = [[variable, await io.readStdin()]];
    } else {
      pairs = parseEnvFile(readText(envFile as string, io.cwd), envFile as string).map(([k, v]) => [k, new TextEncoder().encode(v)]);
      if (pairs.length === 0) throw usageError(`${envFile} holds no KEY=VALUE lines`);
    }
    const provider = await providerSet(io.env).get(spec.provider);
    const sealer = await Sealer.create(provider, spec.keyId, { scope, namespace, name: workload });
    if (variable !== undefined) {
      io.stdout(`${sealer.seal(variable, (pairs[0] as [string, Uint8Array])[1])}\n`);
      return;
    }
    io.stdout(stringify(pairs.map(([name, value]) => ({ name, value: sealer.seal(name, value) })), { lineWidth: 0 }));
  },
};
