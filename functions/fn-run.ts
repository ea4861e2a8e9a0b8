// The work of kmsecret-fn once there is something to do (fn.ts is the entry, and
// answers a ResourceList with nothing of ours without loading this): the KRM
// function and the legacy kustomize plugin, their errors and exit codes.
import { readFileSync } from 'node:fs';
import { exitCodeOf, inputError, KmsecretError, asErrorList, usageError } from './errors.js';
import { KeyService } from './keys/key-service.js';
import { readGeneratorFiles } from './krm/generator-files.js';
import { isKptRun, kptRunDestination, visibleKptDestination } from './krm/kpt.js';
import { ItemList, readResourceList, readStream, resourceListParts, writeResourceList, writeStream } from './krm/resource-list.js';
import { type InputText, writeParts } from './krm/output.js';
import { errorResult, infoResult, type Result, stderrReport } from './krm/results.js';
import { readWhole } from './krm/yaml.js';
import { readConfig, type RenderConfig } from './model/config.js';
import { providerSet } from './providers/registry.js';
import type { BindingPolicy, Orchestrator } from './render/binding-rule.js';
import { itemsOfConcern } from './render/plan.js';
import { render, type RenderOutcome } from './render/render.js';
import type { Settings } from './settings.js';

function keyService(settings: Settings, config: RenderConfig): KeyService {
  const options = {
    providers: providerSet(settings),
    concurrency: config.concurrency,
    timeoutMs: config.timeoutMs,
    retry: settings.retry,
    maxDataKeys: settings.maxDataKeys,
  };
  return new KeyService(settings.kmsKeys ? { ...options, kmsKeys: settings.kmsKeys } : options);
}

function policy(settings: Settings, orchestrator: Orchestrator): BindingPolicy {
  return settings.allowedNamespaces ? { orchestrator, allowedNamespaces: settings.allowedNamespaces } : { orchestrator };
}

async function renderWith(items: ItemList, config: RenderConfig, settings: Settings, orchestrator: Orchestrator): Promise<RenderOutcome> {
  // kustomize runs a generator in its kustomization's directory.
  const generated = config.generatorFiles ? readGeneratorFiles(config.generatorFiles, process.cwd()) : [];
  const keys = keyService(settings, config);
  try {
    return await render(items, config, policy(settings, orchestrator), keys, generated);
  } finally {
    keys.close();
  }
}

/** kpt writing back into the package: render nothing, say why (README: "kpt writes in place"). */
function leaveInPlace(items: ItemList): RenderOutcome {
  const message =
    'kpt is writing into the package files, so KmsSecrets and encrypted values were left as they are (no plaintext on disk); render with `-o stdout`, `-o unwrap` or `-o DIR` to decrypt';
  return {
    output: items.length === 0 ? [] : [{ kind: 'sources', items, from: 0, to: items.length }],
    results: [infoResult(message)],
    notice: `kmsecret: ${message}`,
  };
}

/** Under kpt, where its output goes decides whether to decrypt at all. */
function kptOutcome(items: ItemList, settings: Settings): RenderOutcome | undefined {
  const destination = kptRunDestination(settings.kptOutput, visibleKptDestination());
  if (destination === 'in-place') return leaveInPlace(items);
  if (destination === 'elsewhere') return undefined;
  throw new KmsecretError(
    'usage',
    "kmsecret-fn cannot see where kpt writes its output (it runs in a container, or not on Linux), and will not risk writing plaintext into the package's files",
    {},
    'when the output goes elsewhere (kpt fn eval … -o stdout|unwrap|DIR), say so: kpt fn eval --env KMSECRET_KPT_OUTPUT=stdout (a Kptfile image: entry under kpt fn render gets no environment: run kmsecret-fn with exec:, or kpt fn eval --image)',
  );
}

export async function runKrm(stdin: InputText, settings: Settings): Promise<void> {
  let apiVersion = 'config.kubernetes.io/v1';
  try {
    const input = readResourceList(stdin.text);
    apiVersion = input.apiVersion;
    const config = readConfig(input.functionConfig, settings);
    const kpt = isKptRun(input.items);
    // Placeholders written in place would replace the encrypted sources just the same.
    const ours = kpt && itemsOfConcern(input.items, config.env.prefixes).length > 0;
    const outcome = (ours ? kptOutcome(input.items, settings) : undefined) ?? (await renderWith(input.items, config, settings, kpt ? 'kpt' : 'kustomize'));
    writeParts(resourceListParts(apiVersion, input.indent, outcome.output, outcome.results), stdin, (chunk) => process.stdout.write(chunk));
    if (outcome.notice) process.stderr.write(`${outcome.notice}\n`);
  } catch (thrown) {
    fail(asErrorList(thrown), (results) => process.stdout.write(writeResourceList(apiVersion, 0, [], results)));
  }
}

export async function runLegacyPlugin(configFile: string, settings: Settings, readStdin: () => Promise<string>): Promise<void> {
  try {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch {
      throw usageError('cannot read the plugin config file', 'kustomize passes the config file as the only argument');
    }
    const value = readWhole(text, { file: configFile });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw inputError('the plugin config is not a mapping', { file: configFile });
    const config: RenderConfig = readConfig(value as Record<string, unknown>, settings);
    // A generator gets nothing on stdin; a transformer gets the resources.
    const items = ItemList.of(config.generator || config.generatorFiles ? [] : readStream(await readStdin()));
    const outcome = await renderWith(items, config, settings, 'kustomize');
    process.stdout.write(writeStream(outcome.output));
    if (outcome.notice) process.stderr.write(`${outcome.notice}\n`);
  } catch (thrown) {
    fail(asErrorList(thrown));
  }
}

export function fail(errors: KmsecretError[], writeResults?: (results: Result[]) => void): void {
  process.stderr.write(stderrReport(errors));
  writeResults?.(errors.map(errorResult));
  process.exitCode = exitCodeOf(errors);
}

/** A failure as kmsecret-fn reports it in KRM mode: stderr, and results with no items. */
export function failKrm(thrown: unknown, apiVersion = 'config.kubernetes.io/v1'): void {
  fail(asErrorList(thrown), (results) => process.stdout.write(writeResourceList(apiVersion, 0, [], results)));
}
