// Stage 2 of the render: find every encrypted value in every item, check it
// is well formed and sits where it was bound, and say what each item becomes.
// Pure: no I/O, so the number of provider calls is a property of the plan.
import { type ErrorPlace, KmsecretError, inputError } from '../errors.js';
import { annotationsOf, resourceRef } from '../krm/identity.js';
import type { SourceItem } from '../krm/resource-list.js';
import type { RenderConfig } from '../model/config.js';
import { type KmsSecret, isKmsSecret, readKmsSecret } from '../model/kmssecret.js';
import { looksLikeToken } from '../token/token.js';
import { fieldPath, type PathSegment, strings } from './fields.js';
import { type EnvPlan, planWorkload } from './plan-env.js';
import { planToken } from './plan-token.js';
import { planRefRewrites, type RefRewrite } from './rename-refs.js';
import type { PlannedValue } from './values.js';

export interface SecretConversion {
  /** The item the KmsSecret was, or undefined for kustomize's generator form. */
  item: SourceItem | undefined;
  secret: KmsSecret;
  /** Parallel to secret.data. */
  values: PlannedValue[];
}

export interface Plan {
  conversions: SecretConversion[];
  workloads: EnvPlan[];
  /** Items that leave no trace: the generator's copy of its own config. */
  drop: Set<SourceItem>;
  /** Secret references that follow a KmsSecret kustomize renamed (transformer form). */
  refRewrites: RefRewrite[];
  /** Every value of the render, for one decrypt batch. */
  values: PlannedValue[];
}

/** Could this chunk hold anything of ours? Only those are parsed at all.
 *  A YAML escape could spell a marker without its letters, so escapes count too. */
export function mayConcern(text: string, prefixes: readonly string[]): boolean {
  return /kmsecret|kmssecret|\\[xuU\r\n]/i.test(text) || prefixes.some((p) => text.includes(p));
}

function planKmsSecret(value: Record<string, unknown>, item: SourceItem | undefined, errors: KmsecretError[]): SecretConversion | undefined {
  const file = item?.file() ?? {};
  let secret: KmsSecret;
  try {
    secret = readKmsSecret(value, file);
  } catch (error) {
    errors.push(...(error instanceof KmsecretError ? [error] : (error as { errors: KmsecretError[] }).errors));
    return undefined;
  }
  const resource = resourceRef(value);
  const values: PlannedValue[] = [];
  for (const { key, token } of secret.data) {
    const place = { resource, field: fieldPath(['data', key]), ...file };
    const planned = planToken(token, { ...secret.home, key }, place, errors);
    if (planned) values.push(planned);
  }
  return { item, secret, values };
}

/** A token anywhere we do not decrypt would reach the cluster still encrypted: refuse it. */
function strayTokens(value: Record<string, unknown>, planned: ReadonlySet<string>, place: ErrorPlace, errors: KmsecretError[]): void {
  for (const [path, text] of strings(value)) {
    if (!looksLikeToken(text)) continue;
    const field = fieldPath(path as PathSegment[]);
    if (planned.has(field)) continue;
    const hint =
      value.kind === 'Secret'
        ? 'kmsecret decrypts Secrets written as kind: KmsSecret (apiVersion: kmsecret.dev/v1alpha1)'
        : 'tokens are decrypted in KmsSecret data and in container env values only';
    errors.push(inputError('holds a kmsecret token where kmsecret-fn does not decrypt', { ...place, field }, hint));
  }
}

export function plan(items: readonly SourceItem[], config: RenderConfig): Plan | KmsecretError[] {
  const errors: KmsecretError[] = [];
  const result: Plan = { conversions: [], workloads: [], drop: new Set(), refRewrites: [], values: [] };
  const generator = config.generator;
  if (generator) {
    const conversion = planKmsSecret(generator, undefined, errors);
    if (conversion) result.conversions.push(conversion);
  }
  for (const item of items) {
    if (!mayConcern(item.text, config.env.prefixes)) {
      // kpt and kustomize wrote these items themselves (and index them); anything else could
      // be malformed, and a render must not pass on what it could not read.
      if (!item.text.includes('config.kubernetes.io/index')) {
        try {
          void item.parsed;
        } catch (error) {
          errors.push(error as KmsecretError);
        }
      }
      continue;
    }
    let value: Record<string, unknown>;
    try {
      value = item.parsed.value;
    } catch (error) {
      errors.push(error as KmsecretError);
      continue;
    }
    if (generator && isGeneratorCopy(value, generator)) {
      result.drop.add(item);
      continue;
    }
    const place = { resource: resourceRef(value), ...item.file() };
    const planned = new Set<string>();
    if (isKmsSecret(value)) {
      const conversion = planKmsSecret(value, item, errors);
      if (conversion) result.conversions.push(conversion);
      for (const key of Object.keys((value.data as object | undefined) ?? {})) planned.add(fieldPath(['data', key]));
    } else {
      const workload = planWorkload(item, value, config, errors);
      if (workload) {
        result.workloads.push(workload);
        for (const env of workload.values) planned.add(env.field);
      }
    }
    strayTokens(value, planned, place, errors);
  }
  generatedNameConflicts(items, result.workloads, errors);
  if (errors.length > 0) return errors;
  const renames = result.conversions.flatMap(({ item, secret }) => (item ? [{ namespace: secret.namespace, from: secret.home.name, to: secret.name }] : []));
  result.refRewrites = planRefRewrites(items, renames, config);
  result.values = [...result.conversions.flatMap((c) => c.values), ...result.workloads.flatMap((w) => w.values.map((v) => v.value))];
  if (config.allowedNamespaces) {
    const refused = outsideAllowedNamespaces(result.values, config.allowedNamespaces);
    if (refused.length > 0) return refused;
  }
  return result;
}

/** kustomize passes a generator's config twice: as functionConfig and as an item marked local-config. */
function isGeneratorCopy(value: Record<string, unknown>, generator: Record<string, unknown>): boolean {
  const a = resourceRef(value);
  const b = resourceRef(generator);
  return (
    isKmsSecret(value) &&
    a.name === b.name &&
    a.namespace === b.namespace &&
    annotationsOf(value)['config.kubernetes.io/local-config'] === 'true'
  );
}

/** A Secret generated for a workload must not replace one that is already there. */
function generatedNameConflicts(items: readonly SourceItem[], workloads: readonly EnvPlan[], errors: KmsecretError[]): void {
  for (const workload of workloads) {
    if (workload.output !== 'secretRef') continue;
    for (const item of items) {
      if (!item.text.includes(workload.secretName)) continue;
      const other = resourceRef(item.parsed.value);
      if (other.kind === 'Secret' && other.name === workload.secretName && (other.namespace ?? '') === workload.namespace) {
        errors.push(inputError(`the Secret generated for this workload's env, ${workload.secretName}, already exists`, { resource: workload.resource, ...workload.item.file() }, 'rename the existing Secret, or annotate the workload kmsecret.dev/env-output: inline'));
      }
    }
  }
}

/** KMSECRET_NAMESPACES: a shared decrypting role (Argo CD's repo-server) renders only the
 *  namespaces the pipeline says, whatever a repository's manifests claim. */
function outsideAllowedNamespaces(values: readonly PlannedValue[], allowed: readonly string[]): KmsecretError[] {
  const list = allowed.join(',');
  return values.flatMap((value) => {
    if (value.form === 'token' && value.token.binding.scope === 'cluster-wide') {
      return [new KmsecretError('decrypt', `value is cluster-wide (bound to no namespace), which this run does not decrypt (KMSECRET_NAMESPACES=${list})`, value.place, 'write it for a namespace: kmsecret set --scope strict')];
    }
    const namespace = value.form === 'token' ? value.token.binding.namespace : value.home.namespace;
    if (allowed.includes(namespace)) return [];
    return [new KmsecretError('decrypt', `value is bound to namespace ${namespace || '(none)'}, which this run may not decrypt (KMSECRET_NAMESPACES=${list})`, value.place, 'a pipeline renders only its own namespaces; check the Application\'s destination namespace')];
  });
}
