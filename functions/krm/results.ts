// KRM function results (config.kubernetes.io/v1 ResourceList `results`). kpt
// shows them; kustomize shows only stderr, so every result also has a stderr line.
import { errorRecord, formatError, type KmsecretError, printable, type ResourceRef } from '../errors.js';

export interface Result {
  message: string;
  severity: 'error' | 'warning' | 'info';
  resourceRef?: ResourceRef;
  field?: { path: string };
  file?: { path: string };
  tags?: Record<string, string>;
}

export function errorResult(error: KmsecretError): Result {
  const record = errorRecord(error);
  const result: Result = {
    message: record.hint ? `${record.message} (${record.hint})` : record.message,
    severity: 'error',
    tags: { category: error.category },
  };
  if (record.resource) result.resourceRef = record.resource;
  if (record.field) result.field = { path: record.field };
  if (record.file) result.file = { path: record.file };
  return result;
}

export function infoResult(message: string): Result {
  return { message: printable(message), severity: 'info' };
}

/** kmsecret-fn's stderr on failure: one block per error, then a count. */
export function stderrReport(errors: readonly KmsecretError[]): string {
  const lines = errors.map((e) => `kmsecret: ${formatError(e)}`);
  if (errors.length > 1) lines.push(`kmsecret: ${errors.length} errors; nothing was written`);
  return `${lines.join('\n')}\n`;
}
