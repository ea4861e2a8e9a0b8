// `kmsecret create --from-secret FILE` (or a Secret piped into `create`): a plain
// Secret, as `kubectl create secret … --dry-run=client -o yaml` or `kubectl get
// secret -o yaml` prints it, becomes a KmsSecret. kubeseal's habit.
//
// Taken: name, namespace, labels, annotations, type, immutable, data (base64) and
// stringData (which wins over data, as the API server merges them). Dropped: what
// the cluster wrote (uid, resourceVersion, managedFields, …) and kubectl's
// last-applied-configuration annotation, which holds every value in plaintext.
import { type ErrorPlace, inputError } from '../errors.js';
import { resourceRef } from '../k8s/resource.js';
import { parseDocuments } from '../krm/yaml.js';
import { isKmsSecret } from '../model/kmssecret.js';
import type { NamedValue } from './values.js';
import { secretKeyPattern } from './values.js';

export interface PlainSecret {
  name?: string;
  namespace?: string;
  type?: string;
  immutable?: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  values: NamedValue[];
  /** Annotations left out, for a note. */
  dropped: string[];
}

/** Annotations that are the cluster's or a tool's bookkeeping, or that hold the plaintext. */
const droppedAnnotation =
  /^(kubectl\.kubernetes\.io\/last-applied-configuration|kmsecret\.dev\/.*|config\.kubernetes\.io\/.*|internal\.config\.kubernetes\.io\/.*)$/;

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function readPlainSecret(text: string, file: string): PlainSecret {
  const docs = parseDocuments(text, file).filter((d) => d.value !== null && d.value !== undefined);
  const hint = 'pipe one Secret, e.g. `kubectl create secret generic NAME --from-file … --dry-run=client -o yaml | kmsecret create --key KEY`';
  if (docs.length === 0) throw inputError('holds no Secret (it is empty)', { file }, hint);
  if (docs.length > 1) throw inputError(`holds ${docs.length} documents; one Secret is converted at a time`, { file }, hint);
  const { value, line } = docs[0] as { value: unknown; line: number };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw inputError('is not a Kubernetes resource', { file, line }, `${hint}; to read one value from stdin, use --from-file KEY=-`);
  }
  const record = value as Record<string, unknown>;
  const place: ErrorPlace = { file, line, resource: resourceRef(record) };
  if (isKmsSecret(record)) throw inputError('is a KmsSecret already: its values are encrypted', place, 'edit it with `kmsecret set` or `kmsecret edit`');
  if (record.kind === 'List') throw inputError('is a List; one Secret is converted at a time', place, 'pick one: kubectl get secret NAME -o yaml');
  if (record.kind !== 'Secret' || record.apiVersion !== 'v1') throw inputError('is not a Secret (apiVersion v1, kind Secret)', place, hint);

  const metadata = typeof record.metadata === 'object' && record.metadata !== null ? (record.metadata as Record<string, unknown>) : {};
  const annotations = stringMap(metadata.annotations);
  const dropped = Object.keys(annotations).filter((k) => droppedAnnotation.test(k));
  for (const key of dropped) delete annotations[key];

  const byKey = new Map<string, NamedValue>();
  const data = stringMap(record.data);
  for (const [key, encoded] of Object.entries(data)) {
    const compact = encoded.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw inputError("is not base64, as a Secret's data must be", { ...place, field: `data.${key}` }, 'values written as text go under stringData:');
    }
    byKey.set(key, { key, value: new Uint8Array(Buffer.from(compact, 'base64')), source: "the Secret's data" });
  }
  for (const [key, text] of Object.entries(stringMap(record.stringData))) {
    byKey.set(key, { key, value: new TextEncoder().encode(text), source: "the Secret's stringData" });
  }
  const bad = [...byKey.keys()].find((k) => !secretKeyPattern.test(k) || k.length > 253);
  if (bad !== undefined) throw inputError('has a key that is not a valid Secret key (letters, digits, "-", "_", ".")', place);

  const secret: PlainSecret = {
    labels: stringMap(metadata.labels),
    annotations,
    values: [...byKey.values()],
    dropped,
  };
  if (typeof metadata.name === 'string' && metadata.name !== '') secret.name = metadata.name;
  if (typeof metadata.namespace === 'string' && metadata.namespace !== '') secret.namespace = metadata.namespace;
  if (typeof record.type === 'string' && record.type !== '') secret.type = record.type;
  if (record.immutable === true || record.immutable === 'true') secret.immutable = true;
  return secret;
}
