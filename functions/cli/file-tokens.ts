// Every token in a file, with where it sits: a KmsSecret's data key, a
// container's env variable, or somewhere kmsecret does not decrypt. For the
// commands that work on tokens as they are (rotate, diff): nothing here
// decrypts.
import { describeResource } from '../errors.js';
import { envEntries } from '../k8s/pod-specs.js';
import { nameOf, namespaceOf, resourceRef } from '../k8s/resource.js';
import { fieldPath, type PathSegment, strings } from '../krm/fields.js';
import { parseDocuments } from '../krm/yaml.js';
import { isKmsSecret } from '../model/kmssecret.js';
import type { Home } from '../token/binding.js';
import { looksLikeToken } from '../token/token.js';

export interface FileToken {
  text: string;
  /** "KmsSecret team-a/app", for messages and diffs. */
  resource: string;
  field: string;
  /** What a person calls it: the data key, or container/VARIABLE for env. */
  label: string;
  /** Where it sits, or undefined for a place kmsecret does not decrypt. */
  home?: Home;
}

export function fileTokens(text: string, file: string): FileToken[] {
  const found: FileToken[] = [];
  for (const { value } of parseDocuments(text, file)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const record = value as Record<string, unknown>;
    const resource = describeResource(resourceRef(record));
    const namespace = namespaceOf(record);
    const name = nameOf(record);
    const placed = new Set<string>();
    if (isKmsSecret(record) && typeof record.data === 'object' && record.data !== null) {
      for (const [key, token] of Object.entries(record.data as Record<string, unknown>)) {
        if (typeof token !== 'string' || !looksLikeToken(token)) continue;
        const field = fieldPath(['data', key]);
        placed.add(field);
        found.push({ text: token, resource, field, label: key, home: { use: 'secret', namespace, name, key } });
      }
    } else {
      for (const entry of envEntries(record, [])) {
        if (!looksLikeToken(entry.value)) continue;
        const field = fieldPath([...entry.entryPath, 'value']);
        placed.add(field);
        found.push({ text: entry.value, resource, field, label: `${entry.container}/${entry.name}`, home: { use: 'env', namespace, name, key: entry.name } });
      }
    }
    for (const [path, s] of strings(record)) {
      const field = fieldPath(path as PathSegment[]);
      if (looksLikeToken(s) && !placed.has(field)) found.push({ text: s, resource, field, label: field });
    }
  }
  return found;
}
