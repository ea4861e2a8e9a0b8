// `kmsecret check` on source files, offline: every resource readable, every
// KmsSecret and config valid, every token well formed and sitting where it was
// bound (the header says where, no key needed), no token where nothing
// decrypts it, and no plain Secret with data committed next to them.
import { asErrorList, inputError, type KmsecretError } from '../errors.js';
import { resourceRef } from '../krm/identity.js';
import { readStream, type SourceItem } from '../krm/resource-list.js';
import { defaultConfig } from '../model/config.js';
import { plan } from '../render/plan.js';
import type { PlannedValue } from '../render/values.js';
import { fromError, type Finding } from './findings.js';

export interface SourceCheck {
  findings: Finding[];
  /** For --decrypt: the values, once the file is sound. */
  values: PlannedValue[];
  resources: number;
}

function located(error: KmsecretError, items: readonly SourceItem[]): Finding {
  const item = items.find((i) => i.origin?.line === error.place.line) ?? items.find((i) => error.place.line !== undefined && (i.origin?.line ?? 0) <= (error.place.line as number));
  return fromError(error, item?.lineOf(error.place.field));
}

function plainSecret(item: SourceItem): KmsecretError | undefined {
  const value = item.parsed.value;
  if (value.kind !== 'Secret' || value.apiVersion !== 'v1') return undefined;
  const filled = ['data', 'stringData'].find((f) => {
    const m = value[f];
    return typeof m === 'object' && m !== null && Object.keys(m).length > 0;
  });
  if (!filled) return undefined;
  return inputError(
    `is a plain Secret with ${filled}: anyone who can read the repository can read its values`,
    { resource: resourceRef(value), field: filled, ...item.file() },
    'encrypt it: kmsecret create NAME -n NAMESPACE --key KEY --from-… (a KmsSecret), then delete this file',
  );
}

export function checkSource(file: string, text: string): SourceCheck {
  const items = readStream(text, file);
  const errors: KmsecretError[] = [];
  for (const item of items) {
    try {
      const problem = plainSecret(item);
      if (problem) errors.push(problem);
    } catch (error) {
      errors.push(...asErrorList(error));
    }
  }
  const parsed = items.filter((item) => item.isParsed);
  let values: PlannedValue[] = [];
  const planned = plan(parsed, structuredClone(defaultConfig));
  if (Array.isArray(planned)) errors.push(...planned);
  else values = planned.values;
  return { findings: errors.map((e) => located(e, items)), values, resources: items.length };
}
