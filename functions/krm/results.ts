// KRM function results (config.kubernetes.io/v1 ResourceList `results`). kpt
// shows them; kustomize shows only stderr, so every result also has a stderr line.
import { type KmsecretError, type ResourceRef, formatError } from '../errors.js';

export interface Result {
  message: string;
  severity: 'error' | 'warning' | 'info';
  resourceRef?: ResourceRef;
  field?: { path: string };
  file?: { path: string };
  tags?: Record<string, string>;
}

export function errorResult(error: KmsecretError): Result {
  const result: Result = {
    message: error.hint ? `${error.message} (${error.hint})` : error.message,
    severity: 'error',
    tags: { category: error.category },
  };
  const { resource, field, file } = error.place;
  if (resource) result.resourceRef = resource;
  if (field) result.field = { path: field };
  if (file) result.file = { path: file };
  return result;
}

export function infoResult(message: string): Result {
  return { message, severity: 'info' };
}

/** kmsecret-fn's stderr on failure: one block per error, then a count. */
export function stderrReport(errors: KmsecretError[]): string {
  const lines = errors.map((e) => `kmsecret: ${formatError(e)}`);
  if (errors.length > 1) lines.push(`kmsecret: ${errors.length} errors; nothing was written`);
  return `${lines.join('\n')}\n`;
}
