// Stage 4 of the render: what every item becomes, given the plaintexts.
//   KmsSecret            → v1/Secret in its place (generator form: the Secret is the output)
//   workload, secretRef  → env entries become valueFrom.secretKeyRef; a Secret follows the workload
//   workload, inline     → env values become the plaintext
//   anything else        → itself, byte for byte
import { isMap, Scalar, YAMLMap, type Node } from 'yaml';
import { KmsecretError } from '../errors.js';
import type { OutputItem, SourceItem } from '../krm/resource-list.js';
import { expandAliases } from '../krm/yaml.js';
import type { KmsSecret } from '../model/kmssecret.js';
import type { EnvPlan } from './plan-env.js';
import type { Plan } from './plan.js';
import type { PlannedValue } from './values.js';

export const placeholderAnnotation = 'kmsecret.dev/placeholder';
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

export function secretFor(secret: KmsSecret, plaintexts: readonly Uint8Array[], options: ApplyOptions): SecretObject {
  const annotations = { ...secret.secretAnnotations };
  if (options.generator && annotations[needsHashAnnotation] === undefined) annotations[needsHashAnnotation] = 'true';
  if (options.placeholder) annotations[placeholderAnnotation] = 'true';
  const metadata: SecretObject['metadata'] = { name: secret.name };
  if (secret.namespace) metadata.namespace = secret.namespace;
  if (Object.keys(secret.labels).length > 0) metadata.labels = secret.labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const out: SecretObject = { apiVersion: 'v1', kind: 'Secret', metadata, type: secret.type, data: {} };
  if (secret.immutable !== undefined) out.immutable = secret.immutable;
  secret.data.forEach(({ key }, i) => {
    out.data[key] = base64(plaintexts[i] as Uint8Array);
  });
  return out;
}

function quoted(text: string): Scalar {
  const scalar = new Scalar(text);
  // Double quotes hold any text (newlines, leading spaces, "123", "true") as the string it is.
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

function entryAt(root: YAMLMap, path: readonly (string | number)[]): YAMLMap {
  const node = root.getIn(path, true) as Node | undefined;
  if (!isMap(node)) throw new KmsecretError('internal', `env entry at ${path.join('.')} moved during the render`);
  return node;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Edits the workload's AST in place; returns the Secret to put after it (secretRef), if any. */
function patchWorkload(workload: EnvPlan, plaintextOf: (v: PlannedValue) => Uint8Array, options: ApplyOptions): SecretObject | undefined {
  expandAliases(workload.item.parsed);
  const root = workload.item.parsed.node;
  const data: Record<string, string> = {};
  for (const env of workload.values) {
    const entry = entryAt(root, env.entryPath);
    const plaintext = plaintextOf(env.value);
    if (env.outputName !== env.name) entry.set('name', env.outputName);
    if (workload.output === 'inline') {
      let text: string;
      try {
        text = utf8.decode(plaintext);
      } catch {
        throw new KmsecretError('input', `container ${env.container} variable ${env.outputName}: the value is not UTF-8 text, which env cannot hold`, env.value.place, 'use the secretRef output for binary values');
      }
      entry.set('value', quoted(text));
      continue;
    }
    const key = `${env.container}.${env.outputName}`;
    data[key] = base64(plaintext);
    entry.delete('value');
    const ref = new YAMLMap();
    ref.set('name', workload.secretName);
    ref.set('key', key);
    const valueFrom = new YAMLMap();
    valueFrom.set('secretKeyRef', ref);
    entry.set('valueFrom', valueFrom);
  }
  if (options.placeholder) {
    root.setIn(['metadata', 'annotations', placeholderAnnotation], quoted('true'));
  }
  if (workload.output === 'inline') return undefined;
  const metadata: SecretObject['metadata'] = { name: workload.secretName };
  if (workload.namespace) metadata.namespace = workload.namespace;
  if (options.placeholder) metadata.annotations = { [placeholderAnnotation]: 'true' };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data };
}

export function apply(items: readonly SourceItem[], plan: Plan, plaintexts: readonly Uint8Array[], options: ApplyOptions): OutputItem[] {
  const byValue = new Map<PlannedValue, Uint8Array>();
  plan.values.forEach((value, i) => byValue.set(value, plaintexts[i] as Uint8Array));
  const plaintextOf = (value: PlannedValue) => byValue.get(value) as Uint8Array;

  const replaced = new Map<SourceItem, OutputItem[]>();
  const generated: OutputItem[] = [];
  for (const { item, edits } of plan.refRewrites) {
    expandAliases(item.parsed);
    for (const { path, to } of edits) item.parsed.node.setIn(path, to);
    replaced.set(item, [{ kind: 'changed', item }]);
  }
  for (const conversion of plan.conversions) {
    const secret = secretFor(conversion.secret, conversion.values.map(plaintextOf), options);
    if (conversion.item) replaced.set(conversion.item, [{ kind: 'new', value: secret }]);
    else generated.push({ kind: 'new', value: secret });
  }
  for (const workload of plan.workloads) {
    const secret = patchWorkload(workload, plaintextOf, options);
    const out: OutputItem[] = [{ kind: 'changed', item: workload.item }];
    if (secret) out.push({ kind: 'new', value: secret });
    replaced.set(workload.item, out);
  }
  const output: OutputItem[] = [];
  for (const item of items) {
    if (plan.drop.has(item)) continue;
    output.push(...(replaced.get(item) ?? [{ kind: 'source', item }]));
  }
  return [...output, ...generated];
}
