// Stage 2 of the render: find every encrypted value in every item, check it
// is well formed and sits where it was bound, and say what each item becomes.
// Pure: no I/O, so the number of provider calls is a property of the plan
// (one per distinct data key among its values).
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
function strayTokens(text: string, value: Record<string, unknown>, planned: ReadonlySet<string>, place: ErrorPlace, errors: KmsecretError[]): void {
  // Walking every string is the slow part of planning; when the text holds no more token
  // starts than the fields already planned, there is nothing else to find (unless an escape
  // or an alias could make a string that the text does not spell out).
  if ((text.match(/kmsecret:/g)?.length ?? 0) <= planned.size && !/\\[xuU\r\n]|[&*]/.test(text)) return;
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

/**
 * Plans a render one item at a time, so that the render can start unwrapping an
 * item's data keys while it plans the next (see render.ts). Each value is
 * checked — well formed, bound where it sits, allowed by KMSECRET_NAMESPACES —
 * before it is handed out; the checks that need every item run in finish().
 */
export class Planner {
  readonly errors: KmsecretError[] = [];
  readonly #plan: Plan = { conversions: [], workloads: [], drop: new Set(), refRewrites: [], values: [] };
  /** The generator form's values, known before any item. */
  readonly initialValues: PlannedValue[] = [];

  constructor(
    private readonly items: readonly SourceItem[],
    private readonly config: RenderConfig,
  ) {
    if (config.generator) {
      const conversion = planKmsSecret(config.generator, undefined, this.errors);
      if (conversion) {
        this.#plan.conversions.push(conversion);
        this.initialValues.push(...this.#allowed(conversion.values));
      }
    }
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Plans one item; returns the values it holds that passed every check (none if it has errors). */
  add(item: SourceItem): PlannedValue[] {
    const { config, errors } = this;
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
      return [];
    }
    let value: Record<string, unknown>;
    try {
      value = item.parsed.value;
    } catch (error) {
      errors.push(error as KmsecretError);
      return [];
    }
    const generator = config.generator;
    if (generator && isGeneratorCopy(value, generator)) {
      this.#plan.drop.add(item);
      return [];
    }
    const before = errors.length;
    const place = { resource: resourceRef(value), ...item.file() };
    const planned = new Set<string>();
    let values: PlannedValue[] = [];
    if (isKmsSecret(value)) {
      const conversion = planKmsSecret(value, item, errors);
      if (conversion) {
        this.#plan.conversions.push(conversion);
        values = conversion.values;
      }
      for (const key of Object.keys((value.data as object | undefined) ?? {})) planned.add(fieldPath(['data', key]));
    } else {
      const workload = planWorkload(item, value, config, errors);
      if (workload) {
        this.#plan.workloads.push(workload);
        values = workload.values.map((v) => v.value);
        for (const env of workload.values) planned.add(env.field);
      }
    }
    strayTokens(item.text, value, planned, place, errors);
    values = this.#allowed(values);
    return errors.length > before ? [] : values;
  }

  /** The whole plan, or every error found. */
  finish(): Plan | KmsecretError[] {
    const { errors, items, config } = this;
    const result = this.#plan;
    generatedNameConflicts(items, result.workloads, errors);
    if (errors.length > 0) return errors;
    const renames = result.conversions.flatMap(({ item, secret }) => (item ? [{ namespace: secret.namespace, from: secret.home.name, to: secret.name }] : []));
    result.refRewrites = planRefRewrites(items, renames, config);
    result.values = [...result.conversions.flatMap((c) => c.values), ...result.workloads.flatMap((w) => w.values.map((v) => v.value))];
    return result;
  }

  #allowed(values: PlannedValue[]): PlannedValue[] {
    if (!this.config.allowedNamespaces) return values;
    const refused = outsideAllowedNamespaces(values, this.config.allowedNamespaces);
    this.errors.push(...refused);
    return refused.length > 0 ? [] : values;
  }
}

/** The whole plan at once (check, and anything that does not overlap planning with decryption). */
export function plan(items: readonly SourceItem[], config: RenderConfig): Plan | KmsecretError[] {
  const planner = new Planner(items, config);
  for (const item of items) planner.add(item);
  return planner.finish();
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
  const generated = workloads.filter((w) => w.output === 'secretRef');
  if (generated.length === 0) return;
  // One pass over the items: the Secrets there are (an item that is one spells "Secret").
  const existing = new Set<string>();
  for (const item of items) {
    if (!item.text.includes('Secret')) continue;
    const ref = resourceRef(item.parsed.value);
    if (ref.kind === 'Secret' && ref.name) existing.add(`${ref.namespace ?? ''}/${ref.name}`);
  }
  for (const workload of generated) {
    if (existing.has(`${workload.namespace}/${workload.secretName}`)) {
      errors.push(inputError(`the Secret generated for this workload's env, ${workload.secretName}, already exists`, { resource: workload.resource, ...workload.item.file() }, 'rename the existing Secret, or annotate the workload kmsecret.dev/env-output: inline'));
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
