// The render in-process, as kmsecret-fn runs it, for property tests that would
// take hours as thousands of processes: the real settings, providers, key
// service and render stages.
import { KeyService } from '../../functions/keys/key-service.js';
import { readResourceList, writeResourceList } from '../../functions/krm/resource-list.js';
import { readConfig } from '../../functions/model/config.js';
import { type ProviderSet, providerSet } from '../../functions/providers/registry.js';
import type { Orchestrator } from '../../functions/render/binding-rule.js';
import { render } from '../../functions/render/render.js';
import { readSettings } from '../../functions/settings.js';

export function keyServiceFor(env: NodeJS.ProcessEnv, providers?: ProviderSet): KeyService {
  const settings = readSettings({ KMSECRET_MAX_ATTEMPTS: '1', ...env });
  return new KeyService({
    providers: providers ?? providerSet(settings),
    concurrency: settings.concurrency,
    timeoutMs: settings.timeoutMs,
    retry: settings.retry,
    maxDataKeys: settings.maxDataKeys,
    ...(settings.kmsKeys ? { kmsKeys: settings.kmsKeys } : {}),
  });
}

/** A ResourceList text rendered as kmsecret-fn would (KRM mode), to its output text. */
export async function renderText(
  text: string,
  env: NodeJS.ProcessEnv,
  options: { providers?: ProviderSet; orchestrator?: Orchestrator } = {},
): Promise<string> {
  const settings = readSettings(env);
  const list = readResourceList(text);
  const keys = keyServiceFor(env, options.providers);
  try {
    const outcome = await render(list.items, readConfig(list.functionConfig, settings), { orchestrator: options.orchestrator ?? 'kustomize' }, keys);
    return writeResourceList(list.apiVersion, list.indent, outcome.output, outcome.results);
  } finally {
    keys.close();
  }
}
