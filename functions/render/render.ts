// The render, one way through: plan → decrypt (or placeholders) → apply → guard.
// Reading and writing the ResourceList are the caller's (fn.ts).
//
// Planning and decryption overlap: each item's values are checked, then their
// data keys are asked for at once, while the next items are planned. The
// event loop gets a turn every few milliseconds of planning so that KMS answers
// are taken in as they arrive. Nothing is applied until the whole plan is
// sound and every value is decrypted; a plan error aborts the calls in flight.
import { KmsecretErrors } from '../errors.js';
import type { OutputItem, SourceItem } from '../krm/resource-list.js';
import { infoResult, type Result } from '../krm/results.js';
import type { RenderConfig } from '../model/config.js';
import type { ProviderSet } from '../providers/registry.js';
import { apply } from './apply.js';
import { DecryptBatch, type DecryptStats } from './decrypt.js';
import { guard } from './guard.js';
import { placeholderFor } from './placeholder.js';
import { Planner } from './plan.js';
import type { RetryPolicy } from './retry.js';
import { providerNames, type ProviderName } from '../token/token.js';

export interface RenderOptions {
  providers: ProviderSet;
  retry: RetryPolicy;
  stats?: DecryptStats;
}

export interface RenderOutcome {
  output: OutputItem[];
  results: Result[];
  /** One line for stderr even on success (placeholder mode says so). */
  notice?: string;
}

const sliceMs = 4;

/** Load the providers the tokens name before planning starts (the AWS SDK takes tens of
 *  milliseconds), so that the first item's data keys can go out as soon as it is planned
 *  and every KMS round trip overlaps with planning the rest. A load failure is reported
 *  by the value that needs the provider, so it is not raised here. */
async function preloadProviders(items: readonly SourceItem[], config: RenderConfig, providers: ProviderSet): Promise<void> {
  const names = new Set<ProviderName>();
  const generator = config.generator ? JSON.stringify(config.generator) : '';
  for (const name of providerNames) {
    const marker = `kmsecret:v1:${name}:`;
    if (generator.includes(marker) || items.some((item) => item.text.includes(marker))) names.add(name);
  }
  if (config.env.prefixes.some((p) => items.some((item) => item.text.includes(p)))) names.add('aws');
  await Promise.allSettled([...names].map((name) => providers.get(name)));
}
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function render(items: readonly SourceItem[], config: RenderConfig, options: RenderOptions): Promise<RenderOutcome> {
  const placeholder = config.mode === 'placeholder';
  const planner = new Planner(items, config);
  const batch = placeholder ? undefined : new DecryptBatch({ providers: options.providers, concurrency: config.concurrency, timeoutMs: config.timeoutMs, retry: options.retry });
  if (batch) await preloadProviders(items, config, options.providers);
  batch?.add(planner.initialValues);
  let slice = performance.now();
  for (const item of items) {
    const values = planner.add(item);
    if (!planner.failed) batch?.add(values);
    if (batch && performance.now() - slice > sliceMs) {
      await yieldToEventLoop();
      slice = performance.now();
    }
  }
  const planned = planner.finish();
  if (Array.isArray(planned)) {
    batch?.abort();
    throw new KmsecretErrors(planned);
  }
  const plaintexts = batch ? await batch.finish(planned.values, options.stats) : planned.values.map(placeholderFor);
  const output = apply(items, planned, plaintexts, { generator: config.generator !== undefined, placeholder });
  guard(output);
  if (!placeholder || planned.values.length === 0) return { output, results: [] };
  const message = `placeholder render: ${planned.values.length} value${planned.values.length === 1 ? '' : 's'} replaced by placeholders, nothing decrypted (do not deploy this output)`;
  return { output, results: [infoResult(message)], notice: `kmsecret: ${message}` };
}
