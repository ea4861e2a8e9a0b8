// What `kmsecret check` reports: one finding per problem, as a line for people
// (FILE:LINE: RESOURCE FIELD: message) or as JSON for CI.
import { describeResource, type KmsecretError, type ResourceRef } from '../errors.js';

export interface Finding {
  file?: string;
  line?: number;
  resource?: ResourceRef;
  field?: string;
  message: string;
  hint?: string;
  category: KmsecretError['category'];
}

export function fromError(error: KmsecretError, line?: number): Finding {
  const finding: Finding = { message: error.message, category: error.category };
  const { file, resource, field } = error.place;
  if (file) finding.file = file;
  if (line ?? error.place.line) finding.line = line ?? error.place.line;
  if (resource) finding.resource = resource;
  if (field) finding.field = field;
  if (error.hint) finding.hint = error.hint;
  return finding;
}

export function formatFinding(f: Finding): string {
  const where = [f.file ? (f.line ? `${f.file}:${f.line}` : f.file) : '', f.resource ? describeResource(f.resource) : '', f.field ?? ''].filter((s) => s !== '').join(' ');
  return `${where ? `${where}: ` : ''}${f.message}${f.hint ? `\n  hint: ${f.hint}` : ''}`;
}
