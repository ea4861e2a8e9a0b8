// Stage 4 of the render: what every item becomes, given the plaintexts.
//   KmsSecret            → v1/Secret in its place (generator form: the Secret is the output)
//   workload, secretRef  → env entries become valueFrom.secretKeyRef; a Secret follows the workload
//   workload, inline     → env values become the plaintext
//   anything else        → itself, byte for byte
//
// Every Secret (and inline workload) made from values bound to a namespace
// records it in the annotation kmsecret.dev/bound-namespace, so that the deploy
// guard (`kmsecret check --rendered`) sees when kustomize later moved the
// plaintext into another namespace (an overlay's `namespace:`).
import { KmsecretError } from '../errors.js';
import type { ItemList, OutputItem, SourceItem } from '../krm/resource-list.js';
import type { KmsSecret } from '../model/kmssecret.js';
import { type Edit, editedText } from './edits.js';
import type { EnvPlan } from './plan-env.js';
import type { Plan } from './plan.js';
import type { Plaintexts, PlannedValue } from './values.js';

export const placeholderAnnotation = 'kmsecret.dev/placeholder';
export const boundNamespaceAnnotation = 'kmsecret.dev/bound-namespace';
export const needsHashAnnotation = 'kustomize.config.k8s.io/needs-hash';

export interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  type: string;
  immutable?: boolean;
  data: Record<string, string>;
}

export interface ApplyOptions {
  /** kustomize generator form: ask kustomize for the name hash (and the reference rewrites). */
  generator: boolean;
  placeholder: boolean;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The namespace these values are bound to, if any of them is bound to one. */
function boundNamespace(values: readonly PlannedValue[]): string | undefined {
  for (const value of values) {
    if (value.form === 'token' && value.token.binding.scope !== 'cluster-wide') return value.token.binding.namespace;
    if (value.form === 'shush' && value.home.namespace) return value.home.namespace;
  }
  return undefined;
}

function ourAnnotations(values: readonly PlannedValue[], options: ApplyOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const namespace = boundNamespace(values);
  if (namespace) out[boundNamespaceAnnotation] = namespace;
  if (options.placeholder) out[placeholderAnnotation] = 'true';
  return out;
}

function secretFor(
  secret: KmsSecret,
  values: ReadonlyArray<{ key: string; value: PlannedValue }>,
  plaintexts: Plaintexts,
  options: ApplyOptions,
): SecretObject {
  const annotations = {
    ...secret.secretAnnotations,
    ...ourAnnotations(
      values.map((v) => v.value),
      options,
    ),
  };
  if (options.generator && annotations[needsHashAnnotation] === undefined) annotations[needsHashAnnotation] = 'true';
  const metadata: SecretObject['metadata'] = { name: secret.name };
  if (secret.namespace) metadata.namespace = secret.namespace;
  if (Object.keys(secret.labels).length > 0) metadata.labels = secret.labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const out: SecretObject = { apiVersion: 'v1', kind: 'Secret', metadata, type: secret.type, data: {} };
  if (secret.immutable !== undefined) out.immutable = secret.immutable;
  for (const { key, value } of values) out.data[key] = base64(plaintexts.get(value) as Uint8Array);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The workload's edits, and the Secret to put after it (secretRef output). */
function workloadEdits(workload: EnvPlan, plaintexts: Plaintexts, options: ApplyOptions): { edits: Edit[]; secret?: SecretObject } {
  const edits: Edit[] = [];
  const data: Record<string, string> = {};
  for (const env of workload.values) {
    const plaintext = plaintexts.get(env.value) as Uint8Array;
    if (env.outputName !== env.name) edits.push({ op: 'set', path: [...env.entryPath, 'name'], value: env.outputName, quote: false });
    if (workload.output === 'inline') {
      let text: string;
      try {
        text = utf8.decode(plaintext);
      } catch {
        throw new KmsecretError(
          'input',
          `container ${env.container} variable ${env.outputName}: the value is not UTF-8 text, which env cannot hold`,
          env.value.place,
          'use the secretRef output for binary values',
        );
      }
      // kustomize cannot carry these in a workload: go-yaml refuses DEL and the C1 controls (and
      // kustomize then prints the whole resource, value and all, in its error), and it writes NEL
      // back raw, where YAML readers take it for a line break. Refused here, without the value.
      if (/[\u007f-\u009f]/.test(text)) {
        throw new KmsecretError(
          'input',
          `container ${env.container} variable ${env.outputName}: the value holds a control character (DEL, or U+0080–U+009F such as NEL) that a workload's YAML cannot carry through kustomize`,
          env.value.place,
          'use the secretRef output for this workload (annotation kmsecret.dev/env-output: secretRef)',
        );
      }
      edits.push({ op: 'set', path: [...env.entryPath, 'value'], value: text, quote: true });
      continue;
    }
    const key = `${env.container}.${env.outputName}`;
    data[key] = base64(plaintext);
    edits.push({ op: 'secretRef', entry: env.entryPath, name: workload.secretName, key });
  }
  const annotations = ourAnnotations(
    workload.values.map((v) => v.value),
    options,
  );
  if (workload.output === 'inline') {
    for (const [key, value] of Object.entries(annotations)) edits.push({ op: 'annotate', key, value });
    return { edits };
  }
  if (options.placeholder) edits.push({ op: 'annotate', key: placeholderAnnotation, value: 'true' });
  const metadata: SecretObject['metadata'] = { name: workload.secretName };
  if (workload.namespace) metadata.namespace = workload.namespace;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { edits, secret: { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data } };
}

export function apply(items: ItemList, plan: Plan, plaintexts: Plaintexts, options: ApplyOptions): OutputItem[] {
  const replaced = new Map<SourceItem, OutputItem[]>();
  const generated: OutputItem[] = [];
  // Every edit of an item, from both sources, is made in one pass over its text.
  const edits = new Map<SourceItem, Edit[]>();
  const editsOf = (item: SourceItem) => edits.get(item) ?? (edits.set(item, []).get(item) as Edit[]);
  for (const { item, edits: renames } of plan.refRewrites) {
    editsOf(item).push(...renames.map(({ path, to }): Edit => ({ op: 'set', path, value: to, quote: false })));
  }
  for (const conversion of plan.conversions) {
    const secret = secretFor(conversion.secret, conversion.values, plaintexts, options);
    if (conversion.item) replaced.set(conversion.item, [{ kind: 'new', value: secret }]);
    else generated.push({ kind: 'new', value: secret });
  }
  const followers = new Map<SourceItem, SecretObject>();
  for (const workload of plan.workloads) {
    const { edits: envEdits, secret } = workloadEdits(workload, plaintexts, options);
    editsOf(workload.item).push(...envEdits);
    if (secret) followers.set(workload.item, secret);
  }
  for (const [item, itemEdits] of edits) {
    const out: OutputItem[] = [{ kind: 'changed', item, text: editedText(item, itemEdits) }];
    const follower = followers.get(item);
    if (follower) out.push({ kind: 'new', value: follower });
    replaced.set(item, out);
  }
  // Items that leave as they came go out as runs between the ones that change or go (a list can
  // hold 70,000 items, and most are never made into objects).
  const output: OutputItem[] = [];
  const changing = [...new Set([...replaced.keys(), ...plan.drop])].map((item) => items.indexOf(item)).sort((a, b) => a - b);
  let next = 0;
  for (const i of changing) {
    if (i > next) output.push({ kind: 'sources', items, from: next, to: i });
    const item = items.item(i);
    if (!plan.drop.has(item)) output.push(...(replaced.get(item) ?? []));
    next = i + 1;
  }
  if (next < items.length) output.push({ kind: 'sources', items, from: next, to: items.length });
  output.push(...generated);
  return output;
}
