// Stage 5: before anything is written, prove that nothing encrypted and no
// KmsSecret is left in the output. The plan already refused tokens in places we
// do not decrypt; this checks what apply produced, independently of how.
import { KmsecretError } from '../errors.js';
import { resourceRef } from '../k8s/resource.js';
import { fieldPath, type PathSegment, strings } from '../krm/fields.js';
import type { OutputItem } from '../krm/resource-list.js';
import { isKmsSecret } from '../model/kmssecret.js';
import { looksLikeToken, tokenPattern } from '../token/token.js';

/** What is written, as values to check: changed items are checked as text (below). */
function valuesOf(out: OutputItem): Array<Record<string, unknown>> {
  switch (out.kind) {
    case 'new':
      return [out.value as Record<string, unknown>];
    case 'changed':
      return [];
    case 'sources':
      // An item the plan did not read holds no marker of ours (plan.mayConcern, plan.mustRead),
      // so no token and no KmsSecret; the ones it read are checked.
      return out.items
        .madeBetween(out.from, out.to)
        .filter((item) => item.isParsed)
        .map((item) => item.parsed.value);
  }
}

function checkValue(value: Record<string, unknown>): void {
  if (isKmsSecret(value)) {
    throw new KmsecretError('internal', 'a KmsSecret would be left in the output; nothing was written', { resource: resourceRef(value) });
  }
  for (const [path, text] of strings(value)) {
    if (looksLikeToken(text)) {
      throw new KmsecretError('internal', 'a kmsecret token would be left in the output; nothing was written', {
        resource: resourceRef(value),
        field: fieldPath(path as PathSegment[]),
      });
    }
  }
}

export function guard(output: readonly OutputItem[]): void {
  for (const out of output) {
    if (out.kind === 'changed' && tokenPattern.test(out.text)) {
      throw new KmsecretError(
        'internal',
        'a kmsecret token would be left in the output (a changed resource still holds one, perhaps in a comment); nothing was written',
        { resource: resourceRef(out.item.parsed.value) },
      );
    }
    for (const value of valuesOf(out)) checkValue(value);
  }
}
