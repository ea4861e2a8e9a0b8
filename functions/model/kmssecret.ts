// The KmsSecret resource: a Secret whose values are tokens. It mirrors the
// Secret it becomes (metadata, type, immutable, data), so nothing about it is
// new except `kind` and that every value is encrypted.
import type { ErrorPlace } from '../errors.js';
import { annotationsOf, inheritedAnnotations, metadataOf, resourceRef, stringMap } from '../k8s/resource.js';
import { validate } from './validate.js';

export const kmsSecretApiVersion = 'kmsecret.dev/v1alpha1';
export const kmsSecretKind = 'KmsSecret';
export const transformerKind = 'KmsSecretTransformer';
export const generatorKind = 'KmsSecretGenerator';

export interface KmsSecret {
  /** As the function receives it (kustomize may have prefixed or moved it). */
  name: string;
  namespace: string;
  type: string;
  immutable?: boolean;
  labels: Record<string, string>;
  /** All annotations as written; `secretAnnotations` are the ones the Secret gets. */
  annotations: Record<string, string>;
  secretAnnotations: Record<string, string>;
  /** Keys in file order, each with its token text. */
  data: Array<{ key: string; token: string }>;
}

export function isKmsSecret(value: Record<string, unknown>): boolean {
  return value.kind === kmsSecretKind && typeof value.apiVersion === 'string' && value.apiVersion.startsWith('kmsecret.dev/');
}

/** Validates (schema) and reads a KmsSecret. */
export function readKmsSecret(value: Record<string, unknown>, place: ErrorPlace): KmsSecret {
  const at = { resource: resourceRef(value), ...place };
  validate('KmsSecret', value, at);
  const meta = metadataOf(value);
  const annotations = annotationsOf(value);
  const secret: KmsSecret = {
    name: meta.name as string,
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    type: typeof value.type === 'string' ? value.type : 'Opaque',
    labels: stringMap(meta.labels),
    annotations,
    secretAnnotations: inheritedAnnotations(annotations),
    data: Object.entries(stringMap(value.data)).map(([key, token]) => ({ key, token })),
  };
  if (value.immutable !== undefined) secret.immutable = value.immutable === true || value.immutable === 'true';
  return secret;
}
