// A KmsSecret becomes a Secret: its values, each checked against where it sits.
import { KmsecretError, KmsecretErrors } from '../errors.js';
import { resourceRef } from '../k8s/resource.js';
import { fieldPath } from '../krm/fields.js';
import type { SourceItem } from '../krm/resource-list.js';
import { type KmsSecret, readKmsSecret } from '../model/kmssecret.js';
import { type BindingPolicy, boundName, planToken } from './binding-rule.js';
import type { PlannedValue } from './values.js';

export interface SecretConversion {
  /** The item the KmsSecret was, or undefined for kustomize's generator form. */
  item: SourceItem | undefined;
  secret: KmsSecret;
  /** The name its values are bound to (the name as first written). */
  boundName: string;
  /** Each data key with its value, in file order. */
  values: Array<{ key: string; value: PlannedValue }>;
}

/** `origin`: the item the KmsSecret came from (for messages); `inPlace`: whether the Secret takes
 *  its place in the output (transformer, kpt) or is generated (kustomize's generator forms). */
export function planKmsSecret(
  value: Record<string, unknown>,
  origin: SourceItem | undefined,
  inPlace: boolean,
  policy: BindingPolicy,
  errors: KmsecretError[],
): SecretConversion | undefined {
  const item = inPlace ? origin : undefined;
  const file = origin?.file() ?? {};
  let secret: KmsSecret;
  try {
    secret = readKmsSecret(value, file);
  } catch (error) {
    errors.push(...(error instanceof KmsecretErrors ? error.errors : [error as KmsecretError]));
    return undefined;
  }
  const resource = resourceRef(value);
  const name = boundName(value, policy.orchestrator);
  const values: SecretConversion['values'] = [];
  for (const { key, token } of secret.data) {
    const planned = planToken(token, { use: 'secret', namespace: secret.namespace, name, key }, { resource, field: fieldPath(['data', key]), ...file }, errors);
    if (planned) values.push({ key, value: planned });
  }
  return { item, secret, boundName: name, values };
}
