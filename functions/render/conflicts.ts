// A Secret generated for a workload must not replace one that is already there.
import { type KmsecretError, inputError } from '../errors.js';
import { resourceRef } from '../k8s/resource.js';
import { spells } from '../krm/escapes.js';
import type { ItemList } from '../krm/resource-list.js';
import type { EnvPlan } from './plan-env.js';

// `kind`, its colon, then any tags, anchors and a block scalar header before the word; or a
// `? kind` complex key, which is rare enough to be read whatever follows.
const secretKind = /kind["']?\s*:[ \t]*(?:(?:![^\s]*|&[^\s]+)\s+)*(?:[|>][-+1-9]*[ \t]*(?:#.*)?\r?\n\s*)?["']?Secret\b|^[ \t-]*\?[ \t]*["']?kind\b/m;

function spellsSecret(text: string): boolean {
  return spells(text, (t) => secretKind.test(t));
}

export function generatedNameConflicts(items: ItemList, workloads: readonly EnvPlan[], errors: KmsecretError[]): void {
  const generated = workloads.filter((w) => w.output === 'secretRef');
  if (generated.length === 0) return;
  // One pass over the items: the Secrets there are (an item that is one spells "Secret",
  // in block or JSON style, perhaps through tags, an anchor, a block scalar or escapes).
  const existing = new Set<string>();
  for (const item of items.all()) {
    if (!spellsSecret(item.text) || !item.readable) continue;
    const ref = resourceRef(item.parsed.value);
    if (ref.kind === 'Secret' && ref.name) existing.add(`${ref.namespace ?? ''}/${ref.name}`);
  }
  for (const workload of generated) {
    if (existing.has(`${workload.namespace}/${workload.secretName}`)) {
      errors.push(
        inputError(
          `the Secret generated for this workload's env, ${workload.secretName}, already exists`,
          { resource: workload.resource, ...workload.item.file() },
          'rename the existing Secret, or annotate the workload kmsecret.dev/env-output: inline',
        ),
      );
    }
  }
}
