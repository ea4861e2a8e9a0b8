// The render, one way through: plan → decrypt (or placeholders) → apply → guard.
// Reading and writing the ResourceList are the caller's (fn.ts, cli/).
// Nothing is decrypted until the whole plan is sound (every value well formed,
// bound where it sits, allowed by the pipeline, and within the data-key
// ceiling), and nothing is written until every value is decrypted.
import { KmsecretErrors } from '../errors.js';
import type { KeyService } from '../keys/key-service.js';
import type { ItemList, OutputItem, SourceItem } from '../krm/resource-list.js';
import { infoResult, type Result } from '../krm/results.js';
import type { RenderConfig } from '../model/config.js';
import { apply } from './apply.js';
import type { BindingPolicy } from './binding-rule.js';
import { decrypt } from './decrypt.js';
import { guard } from './guard.js';
import { placeholders } from './placeholder.js';
import { plan } from './plan.js';

export interface RenderOutcome {
  output: OutputItem[];
  results: Result[];
  /** One line for stderr even on success (placeholder mode says so). */
  notice?: string;
}

/** `generated`: the documents of a KmsSecretGenerator's files (see plan). */
export async function render(
  items: ItemList,
  config: RenderConfig,
  policy: BindingPolicy,
  keys: KeyService,
  generated: readonly SourceItem[] = [],
): Promise<RenderOutcome> {
  const placeholder = config.mode === 'placeholder';
  const planned = plan(items, config, policy, generated);
  if (Array.isArray(planned)) throw new KmsecretErrors(planned);
  const plaintexts = placeholder ? placeholders(planned.values) : await decrypt(planned.values, keys);
  const generator = config.generator !== undefined || config.generatorFiles !== undefined;
  const output = apply(items, planned, plaintexts, { generator, placeholder });
  guard(output);
  const n = planned.values.length;
  if (!placeholder || n === 0) return { output, results: [] };
  const message = `placeholder render: ${n} value${n === 1 ? '' : 's'} replaced by placeholders, nothing decrypted (do not deploy this output)`;
  return { output, results: [infoResult(message)], notice: `kmsecret: ${message}` };
}
