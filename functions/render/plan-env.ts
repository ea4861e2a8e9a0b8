// Encrypted values in container env, in pod-bearing workloads.
//
//   - name: ACCESS_TOKEN                    a token (kmsecret encrypt-value), bound to
//     value: kmsecret:v1:aws:…              (namespace, workload name, variable)
//   - name: KMS_ENCRYPTED_DB_PASSWORD       shush's form: a raw base64 KMS ciphertext;
//     value: AQICAHh…                       the variable becomes DB_PASSWORD
import { createHash } from 'node:crypto';
import { type ErrorPlace, type KmsecretError, type ResourceRef, inputError } from '../errors.js';
import { annotationsOf, bindingHome, metadataOf, resourceRef } from '../krm/identity.js';
import type { SourceItem } from '../krm/resource-list.js';
import type { EnvOutput, RenderConfig } from '../model/config.js';
import { looksLikeToken } from '../token/token.js';
import { fieldPath, type PathSegment } from './fields.js';
import { containerLists, get, podSpecsOf } from './pod-specs.js';
import { planToken } from './plan-token.js';
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
  return value.form === 'shush' ? value.ciphertextText : `${value.token.wrappedKeyText}:${value.token.sealed.length}:${Buffer.from(value.token.sealed).toString('base64url')}`;
}

export function planWorkload(item: SourceItem, value: Record<string, unknown>, config: RenderConfig, errors: KmsecretError[]): EnvPlan | undefined {
  const specs = podSpecsOf(value, config);
  if (specs.length === 0) return undefined;
  const resource = resourceRef(value);
  const file = item.file();
  const home = bindingHome(value);
  const values: EnvValue[] = [];
  const before = errors.length;
  for (const spec of specs) {
    for (const list of containerLists) {
      const containers = get(value, [...spec, list]);
      if (!Array.isArray(containers)) continue;
      containers.forEach((container: unknown, ci) => {
        const containerName = String(get(container, ['name']) ?? `#${ci}`);
        const env = get(container, ['env']);
        if (!Array.isArray(env)) return;
        const names = new Set(env.map((e: unknown) => get(e, ['name'])).filter((n): n is string => typeof n === 'string'));
        env.forEach((entry: unknown, ei) => {
          const name = get(entry, ['name']);
          const text = get(entry, ['value']);
          if (typeof name !== 'string' || typeof text !== 'string') return;
          const entryPath: PathSegment[] = [...spec, list, ci, 'env', ei];
          const field = fieldPath([...entryPath, 'value']);
          const place: ErrorPlace = { resource, field, ...file };
          const where = `container ${containerName} variable ${name}`;
          if (looksLikeToken(text)) {
            const planned = planToken(text, { namespace: home.namespace, name: home.name, key: name }, place, errors);
            if (planned) values.push({ value: planned, field, entryPath, container: containerName, name, outputName: name });
            return;
          }
          const prefix = config.env.prefixes.find((p) => name.startsWith(p) && name.length > p.length);
          if (prefix === undefined) return;
          const outputName = name.slice(prefix.length);
          const off = 'set env.prefixes (or envPrefixes in a ConfigMap config) to [] if this is not a shush value';
          if (names.has(outputName)) {
            errors.push(inputError(`${where} and ${outputName} are both set; the shush form would define ${outputName} twice`, place, 'remove one of them'));
            return;
          }
          const compact = text.replace(/\s+/g, '');
          if (!base64.test(compact) || compact.length % 4 !== 0) {
            errors.push(inputError(`${where} has the shush prefix ${prefix} but its value is not a base64 KMS ciphertext`, place, off));
            return;
          }
          const ciphertext = new Uint8Array(Buffer.from(compact, 'base64'));
          values.push({
            value: { form: 'shush', ciphertext, ciphertextText: compact, context: config.env.context, home: { namespace: home.namespace, name: home.name, key: outputName }, place },
            field,
            entryPath,
            container: containerName,
            name,
            outputName,
          });
        });
      });
    }
  }
  if (values.length === 0 || errors.length > before) return undefined;
  const override = annotationsOf(value)[envOutputAnnotation];
  if (override !== undefined && override !== 'secretRef' && override !== 'inline') {
    errors.push(inputError(`annotation ${envOutputAnnotation} must be secretRef or inline, not "${override}"`, { resource, field: `metadata.annotations["${envOutputAnnotation}"]`, ...file }));
    return undefined;
  }
  const output = (override as EnvOutput | undefined) ?? config.env.output;
  if (output === 'secretRef') {
    for (const v of values) {
      const key = `${v.container}.${v.outputName}`;
      if (!secretKeyPattern.test(key)) {
        errors.push(inputError(`variable ${v.outputName} cannot be a Secret key (letters, digits, "-", "_", "." only)`, v.value.place, `annotate the workload ${envOutputAnnotation}: inline`));
      }
    }
  }
  const name = String(metadataOf(value).name ?? '');
  return { item, resource, output, values, secretName: generatedSecretName(name, values), namespace: home.namespace };
}
