// Every token in a file, wherever it sits (KmsSecret data, env values), for the
// commands that treat tokens as opaque: rotate, diff, textconv.
import { KmsecretErrors, inputError } from '../errors.js';
import { strings, fieldPath, type PathSegment } from '../render/fields.js';
import { isTokenProblem, looksLikeToken, parseToken, type Token } from '../token/token.js';
import { parseFile } from './kmssecret-file.js';

export interface FoundToken {
  token: Token;
  text: string;
  /** The resource (kind namespace/name) and the field it is in. */
  resource: string;
  field: string;
  /** What a person calls it: the data key, or container/VARIABLE for env. */
  label: string;
}

function at(value: unknown, path: readonly PathSegment[]): unknown {
  return path.reduce<unknown>((node, seg) => (typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[seg] : undefined), value);
}

function labelOf(value: unknown, path: readonly PathSegment[]): string {
  if (path.length === 2 && path[0] === 'data') return String(path[1]);
  const n = path.length;
  if (n >= 4 && path[n - 1] === 'value' && path[n - 3] === 'env') {
    const container = at(value, [...path.slice(0, n - 3), 'name']);
    const variable = at(value, [...path.slice(0, n - 1), 'name']);
    return `${String(container)}/${String(variable)}`;
  }
  return fieldPath(path);
}

export function findTokens(text: string, file: string): FoundToken[] {
  const parsed = parseFile(text, file);
  const found: FoundToken[] = [];
  const errors = [];
  for (const { value } of parsed.docs) {
    if (typeof value !== 'object' || value === null) continue;
    const record = value as Record<string, unknown>;
    const meta = (record.metadata ?? {}) as Record<string, unknown>;
    const resource = `${String(record.kind ?? 'resource')} ${meta.namespace ? `${String(meta.namespace)}/` : ''}${String(meta.name ?? '')}`;
    for (const [path, s] of strings(value)) {
      if (!looksLikeToken(s)) continue;
      const field = fieldPath(path as PathSegment[]);
      const token = parseToken(s);
      if (isTokenProblem(token)) errors.push(inputError(`value ${token.problem}`, { file, field }, token.hint));
      else found.push({ token, text: s, resource, field, label: labelOf(value, path as PathSegment[]) });
    }
  }
  if (errors.length > 0) throw new KmsecretErrors(errors);
  return found;
}

export function tokensIn(text: string, file: string): Map<string, Token> {
  return new Map(findTokens(text, file).map((f) => [f.text, f.token]));
}
