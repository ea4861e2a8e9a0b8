// A kustomization that renders a KmsSecret into another namespace than its
// values are bound to. The transformer form would fail at render time; the
// generator form would not notice (kustomize applies `namespace:` after the
// generator ran), so check says it before the render does — or does not.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { inputError } from '../errors.js';
import { isKmsSecret } from '../model/kmssecret.js';
import { isTokenProblem, parseToken } from '../token/token.js';
import { fromError, type Finding } from './findings.js';

export const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function checkKustomization(file: string): Finding[] {
  let root: Record<string, unknown>;
  try {
    root = (parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() ?? {}) as Record<string, unknown>;
  } catch {
    return [];
  }
  const namespace = typeof root.namespace === 'string' ? root.namespace : undefined;
  if (!namespace) return [];
  const findings: Finding[] = [];
  const dir = dirname(file);
  for (const [field, entries] of [['generators', listOf(root.generators)], ['resources', listOf(root.resources)]] as const) {
    for (const entry of entries) {
      const path = resolve(dir, entry);
      try {
        if (!statSync(path).isFile()) continue;
      } catch {
        continue;
      }
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const value = doc.toJS() as Record<string, unknown> | null;
        if (!value || typeof value !== 'object' || !isKmsSecret(value)) continue;
        const tokens = Object.values((value.data ?? {}) as Record<string, unknown>)
          .map((t) => (typeof t === 'string' ? parseToken(t) : undefined))
          .filter((t) => t !== undefined && !isTokenProblem(t));
        const bound = tokens.find((t) => t && !isTokenProblem(t) && t.binding.scope !== 'cluster-wide');
        if (!bound || isTokenProblem(bound)) continue;
        const boundNs = bound.binding.namespace;
        if (boundNs === namespace) continue;
        const meta = (value.metadata ?? {}) as Record<string, unknown>;
        findings.push(
          fromError(
            inputError(
              `kustomization ${join(dir, '')} (${field}) renders this KmsSecret into namespace ${namespace}, but its values are bound to namespace ${boundNs || '(none)'}`,
              { file: path, resource: { kind: 'KmsSecret', name: String(meta.name ?? ''), namespace: String(meta.namespace ?? '') } },
              `write the values for ${namespace} (kmsecret create -n ${namespace} …), or drop namespace: from the kustomization`,
            ),
          ),
        );
      }
    }
  }
  return findings;
}
