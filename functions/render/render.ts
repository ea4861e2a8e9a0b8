// The render, one way through: plan → decrypt (or placeholders) → apply → guard.
// Reading and writing the ResourceList are the caller's (fn.ts).
import { KmsecretErrors } from '../errors.js';
import type { OutputItem, SourceItem } from '../krm/resource-list.js';
import { infoResult, type Result } from '../krm/results.js';
import type { RenderConfig } from '../model/config.js';
import type { ProviderSet } from '../providers/registry.js';
import { apply } from './apply.js';
import { decryptAll, type DecryptStats } from './decrypt.js';
import { guard } from './guard.js';
import { placeholderFor } from './placeholder.js';
import { plan } from './plan.js';
import type { RetryPolicy } from './retry.js';

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

export async function render(items: readonly SourceItem[], config: RenderConfig, options: RenderOptions): Promise<RenderOutcome> {
  const planned = plan(items, config);
  if (Array.isArray(planned)) throw new KmsecretErrors(planned);
  const placeholder = config.mode === 'placeholder';
  const plaintexts = placeholder
    ? planned.values.map(placeholderFor)
    : await decryptAll(planned.values, { providers: options.providers, concurrency: config.concurrency, timeoutMs: config.timeoutMs, retry: options.retry }, options.stats);
  const output = apply(items, planned, plaintexts, { generator: config.generator !== undefined, placeholder });
  guard(output);
  if (!placeholder || planned.values.length === 0) return { output, results: [] };
  const message = `placeholder render: ${planned.values.length} value${planned.values.length === 1 ? '' : 's'} replaced by placeholders, nothing decrypted (do not deploy this output)`;
  return { output, results: [infoResult(message)], notice: `kmsecret: ${message}` };
}
