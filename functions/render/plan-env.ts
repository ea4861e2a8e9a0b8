// Encrypted values in container env, in pod-bearing workloads.
//
//   - name: ACCESS_TOKEN                    a token (kmsecret encrypt-value), bound to
//     value: kmsecret:v2:aws:…              (env, namespace, workload name, variable)
//   - name: KMS_ENCRYPTED_DB_PASSWORD       shush's form: a raw base64 KMS ciphertext;
//     value: AQICAHh…                       the variable becomes DB_PASSWORD
import { createHash } from 'node:crypto';
import { type ErrorPlace, KmsecretError, type ResourceRef, inputError } from '../errors.js';
import { envEntries } from '../k8s/pod-specs.js';
import { annotationsOf, nameOf, namespaceOf, resourceRef } from '../k8s/resource.js';
import { fieldPath, type PathSegment } from '../krm/fields.js';
import type { SourceItem } from '../krm/resource-list.js';
import type { EnvOutput, RenderConfig } from '../model/config.js';
import { looksLikeToken } from '../token/token.js';
import { type BindingPolicy, homeOf, planToken, shushContext } from './binding-rule.js';
import type { PlannedValue } from './values.js';

export const envOutputAnnotation = 'kmsecret.dev/env-output';

export interface EnvValue {
  value: PlannedValue;
  /** Path of the `value` scalar, e.g. spec.template.spec.containers[0].env[1].value. */
  field: string;
  /** Path to the env entry (a mapping) inside the resource. */
  entryPath: PathSegment[];
  container: string;
  /** The variable as written, and as it must come out (the shush prefix removed). */
  name: string;
  outputName: string;
}

export interface EnvPlan {
  item: SourceItem;
  resource: ResourceRef;
  output: EnvOutput;
  values: EnvValue[];
  /** secretRef output: the Secret generated for this workload. */
  secretName: string;
  namespace: string;
}

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
const secretKeyPattern = /^[-._a-zA-Z0-9]+$/;

function generatedSecretName(workload: string, values: readonly EnvValue[]): string {
  // A hash of the ciphertexts, never of plaintexts: any changed value renames the Secret,
  // which changes the pod template and rolls the workload out.
  const hash = createHash('sha256');
  for (const v of values) hash.update(`${v.container}\u0000${v.outputName}\u0000${v.field}\u0000${sealedText(v.value)}\u0000`);
  return `${workload.slice(0, 253 - 15)}-env-${hash.digest('hex').slice(0, 10)}`;
}

function sealedText(value: PlannedValue): string {
  return value.form === 'shush' ? value.ciphertextText : `${value.token.wrappedKeyText}:${value.token.sealedText}`;
}

/** Whether a workload's env may hold values of ours, judged from its text alone. */
export function mayHoldEnvValues(text: string, prefixes: readonly string[]): boolean {
  return text.includes('kmsecret:') || prefixes.some((p) => text.includes(p));
}

export function planWorkload(
  item: SourceItem,
  value: Record<string, unknown>,
  config: RenderConfig,
  policy: BindingPolicy,
  errors: KmsecretError[],
): EnvPlan | undefined {
  const entries = envEntries(value, config.env.fieldPaths);
  if (entries.length === 0) return undefined;
  const resource = resourceRef(value);
  const file = item.file();
  const namespace = namespaceOf(value);
  const values: EnvValue[] = [];
  const before = errors.length;
  for (const entry of entries) {
    const { name, container } = entry;
    const field = fieldPath([...entry.entryPath, 'value']);
    const place: ErrorPlace = { resource, field, ...file };
    const where = `container ${container} variable ${name}`;
    const found = { field, entryPath: entry.entryPath, container, name };
    if (looksLikeToken(entry.value)) {
      const planned = planToken(entry.value, homeOf(value, 'env', name, policy.orchestrator), place, errors);
      if (planned) values.push({ value: planned, ...found, outputName: name });
      continue;
    }
    const prefix = config.env.prefixes.find((p) => name.startsWith(p) && name.length > p.length);
    if (prefix === undefined) continue;
    const outputName = name.slice(prefix.length);
    const off = 'set env.prefixes (or envPrefixes in a ConfigMap config) to [] if this is not a shush value';
    if (entry.siblings.has(outputName)) {
      errors.push(inputError(`${where} and ${outputName} are both set; the shush form would define ${outputName} twice`, place, 'remove one of them'));
      continue;
    }
    const compact = entry.value.replace(/\s+/g, '');
    // KMS ciphertext blobs are at most 6,144 bytes.
    if (!base64.test(compact) || compact.length % 4 !== 0 || compact.length > 8192) {
      errors.push(inputError(`${where} has the shush prefix ${prefix} but its value is not a base64 KMS ciphertext`, place, off));
      continue;
    }
    const context = shushContext(config.env.context, namespace, policy.allowedNamespaces, place, where);
    if (context instanceof KmsecretError) {
      errors.push(context);
      continue;
    }
    const ciphertext = new Uint8Array(Buffer.from(compact, 'base64'));
    const shush: PlannedValue = {
      form: 'shush',
      ciphertext,
      ciphertextText: compact,
      context,
      home: { namespace, name: nameOf(value), key: outputName },
      place,
    };
    values.push({ value: shush, ...found, outputName });
  }
  if (values.length === 0 || errors.length > before) return undefined;
  const override = annotationsOf(value)[envOutputAnnotation];
  if (override !== undefined && override !== 'secretRef' && override !== 'inline') {
    errors.push(
      inputError(`annotation ${envOutputAnnotation} must be secretRef or inline`, {
        resource,
        field: `metadata.annotations["${envOutputAnnotation}"]`,
        ...file,
      }),
    );
    return undefined;
  }
  const output = (override as EnvOutput | undefined) ?? config.env.output;
  if (output === 'secretRef') {
    for (const v of values) {
      if (!secretKeyPattern.test(`${v.container}.${v.outputName}`)) {
        errors.push(
          inputError(
            `variable ${v.outputName} cannot be a Secret key (letters, digits, "-", "_", "." only)`,
            v.value.place,
            `annotate the workload ${envOutputAnnotation}: inline`,
          ),
        );
      }
    }
  }
  return { item, resource, output, values, secretName: generatedSecretName(nameOf(value), values), namespace };
}
