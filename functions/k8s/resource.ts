// Reading a resource's identity and metadata, and the Kubernetes rules for
// names. Everything here is about plain values (every scalar a string, as the
// failsafe schema reads them).
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

export function nameOf(value: Record<string, unknown>): string {
  const name = metadataOf(value).name;
  return typeof name === 'string' ? name : '';
}

export function namespaceOf(value: Record<string, unknown>): string {
  const namespace = metadataOf(value).namespace;
  return typeof namespace === 'string' ? namespace : '';
}

export function resourceRef(value: Record<string, unknown>): ResourceRef {
  const ref: ResourceRef = {};
  if (typeof value.apiVersion === 'string') ref.apiVersion = value.apiVersion;
  if (typeof value.kind === 'string') ref.kind = value.kind;
  const name = nameOf(value);
  const namespace = namespaceOf(value);
  if (name) ref.name = name;
  if (namespace) ref.namespace = namespace;
  return ref;
}

/** A namespace name (RFC 1123 label). */
export function isNamespaceName(text: string): boolean {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) && text.length <= 63;
}

/** A Secret or workload name (RFC 1123 subdomain). */
export function isResourceName(text: string): boolean {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(text) && text.length <= 253;
}

/** Annotations kpt and kustomize use to place and track an item. A resource that replaces an
 *  item does not inherit them: kpt writes a Secret without them to a file of its own
 *  (`NAMESPACE/secret_NAME.yaml`), never back into the encrypted source's file. */
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
  return Object.fromEntries(Object.entries(source).filter(([key]) => !isBookkeeping(key)));
}
