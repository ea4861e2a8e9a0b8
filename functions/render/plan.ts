// Stage 2 of the render: find every encrypted value in every item, check it is
// well formed and may be decrypted where it sits (binding-rule.ts), and say what
// each item becomes. Pure: no I/O, so the number of provider calls is a
// property of the plan (one per distinct data key among its values).
//
// An item is looked at only when its text could hold something of ours; an
// item kmsecret does not change never fails a render, even when it cannot be
// parsed (it passes through as it came).
import { type ErrorPlace, type KmsecretError, inputError } from '../errors.js';
import { annotationsOf, resourceRef } from '../k8s/resource.js';
import { escapedTag, hasLetterEscapes, letterEscape, spells } from '../krm/escapes.js';
import { fieldPath, type PathSegment, strings } from '../krm/fields.js';
import type { ItemList, SourceItem } from '../krm/resource-list.js';
import { usesMergeKeys } from '../krm/yaml.js';
import type { RenderConfig } from '../model/config.js';
import { generatorKind, isKmsSecret } from '../model/kmssecret.js';
import { looksLikeToken } from '../token/token.js';
import { type BindingPolicy, outsideAllowedNamespaces } from './binding-rule.js';
import { generatedNameConflicts } from './conflicts.js';
import { type EnvPlan, mayHoldEnvValues, planWorkload } from './plan-env.js';
import { planKmsSecret, type SecretConversion } from './plan-kmssecret.js';
import { planRefRewrites, type RefRewrite } from './rename-refs.js';
import type { PlannedValue } from './values.js';

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

const binaryScalar = /!!binary|:binary\b/;
const ourMarker = /kmsecret:|KmsSecret/;

/** Could this chunk hold anything of ours: a token (`kmsecret:`), one of our kinds
 *  (`KmsSecret…`), a shush prefix? Only those are parsed at all; the word "kmsecret" in a
 *  comment or an annotation of ours on a workload with no values is not enough. A YAML escape
 *  could spell a marker without its letters: the markers are also looked for in the text with
 *  its escapes decoded (krm/escapes.ts). A binary scalar, or a tag spelled with %-escapes, is
 *  decoded only by a parse: it counts. */
export function mayConcern(text: string, prefixes: readonly string[]): boolean {
  return binaryScalar.test(text) || escapedTag.test(text) || spells(text, (t) => ourMarker.test(t) || prefixes.some((p) => t.includes(p)));
}

/** The items for which mayConcern holds, in order. Items cut from one ResourceList are found
 *  with one scan of it for anything mayConcern starts from (a marker, a prefix, a binary
 *  scalar, an escaped tag, a letter escape): only an item where one starts is looked at on its
 *  own. Per item, a 16 MB list of 70,000 items cost a scan per pattern per item. */
export function itemsOfConcern(items: ItemList, prefixes: readonly string[]): SourceItem[] {
  const found: SourceItem[] = [];
  const cut = items.cut;
  if (!cut) return items.all().filter((item) => mayConcern(item.text, prefixes));
  const start = new RegExp(
    [binaryScalar, escapedTag, letterEscape, ourMarker]
      .map((r) => r.source)
      .concat(prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
      .join('|'),
    'g',
  );
  // The items lie in the input in order, and so do the matches: one index walks along both.
  const { input, starts, end } = cut;
  const endOf = (i: number) => (i + 1 < starts.length ? (starts[i + 1] as number) : end);
  let i = 0;
  for (let m = start.exec(input); m; m = start.exec(input)) {
    while (i < items.length && endOf(i) <= m.index) i++;
    if (i === items.length) break;
    if (m.index < (starts[i] as number)) {
      // Between items (the envelope): not theirs.
      start.lastIndex = m.index + 1;
      continue;
    }
    if (mayConcern(items.textOf(i), prefixes)) found.push(items.item(i));
    // Decided: go on after it.
    start.lastIndex = endOf(i);
    i++;
  }
  return found;
}

/** Must this item be read, or can an unreadable one pass through? A token (or what may be one)
 *  must never reach the cluster unread. */
function mustRead(text: string): boolean {
  return binaryScalar.test(text) || escapedTag.test(text) || spells(text, (t) => /kmsecret:|kind:\s*["']?KmsSecret/.test(t));
}

/** A token anywhere we do not decrypt would reach the cluster still encrypted: refuse it. */
function strayTokens(text: string, value: Record<string, unknown>, planned: ReadonlySet<string>, place: ErrorPlace, errors: KmsecretError[]): void {
  // Walking every string is the slow part of planning; when the text holds no more token
  // starts than the fields already planned, there is nothing else to find (unless an escape
  // or an alias or a binary scalar could make a string that the text does not spell out).
  if ((text.match(/kmsecret:/g)?.length ?? 0) <= planned.size && !hasLetterEscapes(text) && !/[&*]|binary/.test(text) && !escapedTag.test(text)) return;
  for (const [path, s] of strings(value)) {
    if (!looksLikeToken(s)) continue;
    const field = fieldPath(path as PathSegment[]);
    if (planned.has(field)) continue;
    const hint =
      value.kind === 'Secret'
        ? 'kmsecret decrypts Secrets written as kind: KmsSecret (apiVersion: kmsecret.dev/v1alpha1)'
        : 'tokens are decrypted in KmsSecret data and in container env values only';
    errors.push(inputError('holds a kmsecret token where kmsecret-fn does not decrypt', { ...place, field }, hint));
  }
}

/** kustomize passes a generator's config twice: as functionConfig and as an item marked local-config. */
function isGeneratorCopy(value: Record<string, unknown>, generator: Record<string, unknown>): boolean {
  const a = resourceRef(value);
  const b = resourceRef(generator);
  return isKmsSecret(value) && a.name === b.name && a.namespace === b.namespace && annotationsOf(value)['config.kubernetes.io/local-config'] === 'true';
}

/** Our own function configs, which kustomize also hands over as items marked local-config. */
function isConfigCopy(value: Record<string, unknown>): boolean {
  return value.kind === generatorKind && annotationsOf(value)['config.kubernetes.io/local-config'] === 'true';
}

/** `generated`: the documents of a KmsSecretGenerator's files, each KmsSecret a Secret of its own. */
export function plan(items: ItemList, config: RenderConfig, policy: BindingPolicy, generated: readonly SourceItem[] = []): Plan | KmsecretError[] {
  const errors: KmsecretError[] = [];
  const result: Plan = { conversions: [], workloads: [], drop: new Set(), refRewrites: [], values: [] };
  if (config.generator) {
    const conversion = planKmsSecret(config.generator, undefined, false, policy, errors);
    if (conversion) result.conversions.push(conversion);
  }
  // Files a repository wrote: nothing in them is kustomize's bookkeeping.
  const filePolicy: BindingPolicy = { ...policy, orchestrator: 'file' };
  for (const item of generated) {
    if (!item.readable) {
      try {
        void item.parsed;
      } catch (error) {
        errors.push(error as KmsecretError);
      }
      continue;
    }
    const value = item.parsed.value;
    if (!isKmsSecret(value)) {
      errors.push(inputError('is not a KmsSecret: a KmsSecretGenerator lists KmsSecret files', { resource: resourceRef(value), ...item.file() }));
      continue;
    }
    const conversion = planKmsSecret(value, item, false, filePolicy, errors);
    if (conversion) result.conversions.push(conversion);
  }
  for (const item of itemsOfConcern(items, config.env.prefixes)) {
    if (!item.readable) {
      if (!mustRead(item.text)) continue;
      try {
        void item.parsed;
      } catch (error) {
        errors.push(error as KmsecretError);
      }
      continue;
    }
    const value = item.parsed.value;
    if ((config.generator && isGeneratorCopy(value, config.generator)) || isConfigCopy(value)) {
      result.drop.add(item);
      continue;
    }
    const place = { resource: resourceRef(value), ...item.file() };
    if ((isKmsSecret(value) || mayHoldEnvValues(item.text, config.env.prefixes)) && usesMergeKeys(item.parsed)) {
      errors.push(
        inputError(
          'uses a YAML merge key (<<), which YAML readers resolve differently (kpt keeps it, kubectl applies it)',
          place,
          'write the merged fields out in the resource itself',
        ),
      );
      continue;
    }
    const planned = new Set<string>();
    if (isKmsSecret(value)) {
      const conversion = planKmsSecret(value, item, true, policy, errors);
      if (conversion) result.conversions.push(conversion);
      for (const key of Object.keys((value.data as object | undefined) ?? {})) planned.add(fieldPath(['data', key]));
    } else if (mayHoldEnvValues(item.text, config.env.prefixes)) {
      const before = errors.length;
      const workload = planWorkload(item, value, config, policy, errors);
      if (workload) {
        result.workloads.push(workload);
        for (const env of workload.values) planned.add(env.field);
      }
      // A workload that could not be planned has said why; its env tokens are not strays.
      if (errors.length > before) continue;
    }
    strayTokens(item.text, value, planned, place, errors);
  }
  result.values = [...result.conversions.flatMap((c) => c.values.map((v) => v.value)), ...result.workloads.flatMap((w) => w.values.map((v) => v.value))];
  for (const value of result.values) {
    const refused = outsideAllowedNamespaces(value, policy.allowedNamespaces);
    if (refused) errors.push(refused);
  }
  generatedNameConflicts(items, result.workloads, errors);
  if (errors.length > 0) return errors;
  const renames = result.conversions.flatMap(({ item, secret, boundName }) =>
    item ? [{ namespace: secret.namespace, from: boundName, to: secret.name }] : [],
  );
  result.refRewrites = planRefRewrites(items, renames, config.env.fieldPaths);
  return result;
}
