// kmsecret-fn: the KRM function.
//
//   kmsecret-fn              KRM exec/container function: a ResourceList on stdin
//                            (kpt fn render/eval, kustomize --enable-exec, docker)
//   kmsecret-fn CONFIG_FILE  legacy kustomize exec plugin (KUSTOMIZE_PLUGIN_HOME):
//                            a KmsSecret or KmsSecretGenerator config generates
//                            Secrets; a KmsSecretTransformer config transforms
//                            the resources kustomize writes on stdin
//
// On success: the output on stdout, nothing on stderr, exit 0. On failure: a
// message per error on stderr (kustomize shows only stderr), a ResourceList
// with `results` and no items on stdout (kpt shows results), and a non-zero
// exit code; never a partial output, never a stack trace.
//
// This file stays small: a ResourceList with nothing of ours is answered here
// (krm/pass-through.ts) without loading the YAML library or the render, which
// live in fn-run.ts and load only when there is something to do.
import { asErrorList, type KmsecretError, KmsecretErrors, usageError } from './errors.js';
import { type InputText, writeParts } from './krm/output.js';
import { readStdin } from './krm/stdin.js';
import { passThrough } from './krm/pass-through.js';
import { readSettings, type Settings } from './settings.js';
import { version } from './version.js';

const usage = `kmsecret-fn ${version}: decrypts kmsecret values when kpt or kustomize renders.

  kmsecret-fn < resource-list.yaml     KRM function (kpt, kustomize --enable-exec, container)
  kmsecret-fn CONFIG_FILE              legacy kustomize exec plugin

Run \`kmsecret install-plugin\` for the kustomize plugin layout, and see the README.`;

/** Failures before there was anything to do are rare: the reporting loads with the render. */
async function failWith(errors: KmsecretError[], krm: boolean): Promise<void> {
  const { fail, failKrm } = await import('./fn-run.js');
  if (krm) failKrm(new KmsecretErrors(errors));
  else fail(errors);
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = argv.slice(2);
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (args[0] === '--version') {
    process.stdout.write(`${version}\n`);
    return;
  }
  const krm = args[0] === undefined;
  if (args.length > 1 || args[0]?.startsWith('-')) {
    await failWith([usageError('unexpected arguments', 'kmsecret-fn takes a ResourceList on stdin, or one plugin config file')], false);
    return;
  }
  let settings: Settings;
  let stdin: InputText = { text: '' };
  try {
    settings = readSettings();
    if (krm) stdin = await readStdin();
  } catch (thrown) {
    await failWith(asErrorList(thrown), krm);
    return;
  }
  const quick = krm ? passThrough(stdin.text) : undefined;
  if (quick !== undefined) {
    writeParts(quick, stdin, (chunk) => process.stdout.write(chunk));
    return;
  }
  const run = await import('./fn-run.js');
  await (krm ? run.runKrm(stdin, settings) : run.runLegacyPlugin(args[0] as string, settings, async () => (await readStdin()).text));
}

process.on('unhandledRejection', (reason) => void failWith(asErrorList(reason), false));
await main(process.argv);
