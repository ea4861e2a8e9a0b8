// Who a resource is, and where its values are bound — the binding rule
// (docs/FORMAT.md, "The binding rule"):
//
// - namespace: where the plaintext will land, i.e. metadata.namespace as the
//   function receives it. kpt and the kustomize transformer form see the final
//   namespace (after an overlay's `namespace:`); the generator form receives the
//   KmsSecret as written and emits the Secret into that namespace.
// - name: the name as first written. kustomize's namePrefix/nameSuffix and the
//   hash suffix decorate names (and rewrite every reference); they do not move a
//   value. kustomize records the original in internal.config.kubernetes.io/previousNames.
import type { ResourceRef } from '../errors.js';

export type Metadata = {
  name?: unknown;
  namespace?: unknown;
  labels?: unknown;
  annotations?: unknown;
};

export function metadataOf(value: Record<string, unknown>): Metadata {
  const m = value.metadata;
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as Metadata) : {};
}

export function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function annotationsOf(value: Record<string, unknown>): Record<string, string> {
  return stringMap(metadataOf(value).annotations);
}

export function resourceRef(value: Record<string, unknown>): ResourceRef {
  const meta = metadataOf(value);
  const ref: ResourceRef = {};
  if (typeof value.apiVersion === 'string') ref.apiVersion = value.apiVersion;
  if (typeof value.kind === 'string') ref.kind = value.kind;
  if (typeof meta.name === 'string') ref.name = meta.name;
  if (typeof meta.namespace === 'string' && meta.namespace !== '') ref.namespace = meta.namespace;
  return ref;
}

/** The (namespace, name) values in this resource are bound to. */
export function bindingHome(value: Record<string, unknown>): { namespace: string; name: string } {
  const meta = metadataOf(value);
  const previous = annotationsOf(value)['internal.config.kubernetes.io/previousNames'];
  const firstName = previous?.split(',')[0];
  return {
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    name: firstName || (typeof meta.name === 'string' ? meta.name : ''),
  };
}

/** Annotations kpt and kustomize use to place an item in a file; a resource that replaces
 *  an item keeps them, so `kpt fn render -o DIR` writes it where its source was. */
const placement = [
  'config.kubernetes.io/path',
  'config.kubernetes.io/index',
  'internal.config.kubernetes.io/path',
  'internal.config.kubernetes.io/index',
  'internal.config.kubernetes.io/seqindent',
  'internal.config.kubernetes.io/package-path',
];

/** Tool bookkeeping and our own options: never copied to the Secret as user annotations. */
function isBookkeeping(key: string): boolean {
  return (
    key.startsWith('config.kubernetes.io/') ||
    key.startsWith('internal.config.kubernetes.io/') ||
    key.startsWith('config.k8s.io/') ||
    key.startsWith('kmsecret.dev/') ||
    key === 'kustomize.config.k8s.io/id'
  );
}

/** The annotations a generated resource inherits from the resource it comes from. */
export function inheritedAnnotations(source: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!isBookkeeping(key) || placement.includes(key)) out[key] = value;
  }
  return out;
}

