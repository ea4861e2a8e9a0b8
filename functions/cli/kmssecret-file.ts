// A KmsSecret file as the CLI edits it: by splicing the text, so that `set`,
// `edit` and `rotate` change the lines of the values that changed and not one
// byte more — comments, key order, quoting and unchanged tokens stay.
import { type Document, isMap, isScalar, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { type ErrorPlace, inputError, usageError } from '../errors.js';
import { resourceRef } from '../k8s/resource.js';
import { type Emittable, emitResource, scalar } from '../krm/emit.js';
import { applySplices, endOfLineAfter, lineEnd, lineStart, type Splice } from '../krm/splice.js';
import { parseDocuments } from '../krm/yaml.js';
import { isKmsSecret, kmsSecretApiVersion, kmsSecretKind, readKmsSecret, type KmsSecret } from '../model/kmssecret.js';

export interface KmsSecretDoc {
  doc: Document.Parsed;
  value: Record<string, unknown>;
  secret: KmsSecret;
  place: ErrorPlace;
}

export interface ParsedFile {
  text: string;
  file: string;
  docs: Array<{ doc: Document.Parsed; value: unknown; line: number }>;
}

export function parseFile(text: string, file: string): ParsedFile {
  return { text, file, docs: parseDocuments(text, file) };
}

/** Every KmsSecret in the file, read and validated. */
export function kmsSecretsOf(file: ParsedFile): KmsSecretDoc[] {
  const out: KmsSecretDoc[] = [];
  for (const { doc, value, line } of file.docs) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const record = value as Record<string, unknown>;
    if (!isKmsSecret(record)) continue;
    const place: ErrorPlace = { file: file.file, line, resource: resourceRef(record) };
    out.push({ doc, value: record, secret: readKmsSecret(record, place), place });
  }
  return out;
}

/** The one KmsSecret a command works on (--name picks one when a file holds several). */
export function selectKmsSecret(file: ParsedFile, name: string | undefined): KmsSecretDoc {
  const all = kmsSecretsOf(file);
  const matching = name === undefined ? all : all.filter((d) => d.secret.name === name);
  if (matching.length === 1) return matching[0] as KmsSecretDoc;
  if (all.length === 0) throw inputError('holds no KmsSecret', { file: file.file }, 'create one with `kmsecret create`');
  if (matching.length === 0) throw usageError(`${file.file} has no KmsSecret named ${name}`, `it has: ${all.map((d) => d.secret.name).join(', ')}`);
  throw usageError(`${file.file} holds ${matching.length} KmsSecrets`, `pick one with --name (${all.map((d) => d.secret.name).join(', ')})`);
}

export interface DataEdit {
  /** key → new token; a key not in the file is added. */
  set: Map<string, string>;
  unset: Set<string>;
}

function keyText(key: string): string {
  // A key such as 123 or true must be quoted to stay a string for every YAML reader.
  return scalar(key);
}

function scalarText(original: Scalar, token: string): string {
  if (original.type === 'QUOTE_SINGLE') return `'${token}'`;
  if (original.type === 'QUOTE_DOUBLE') return `"${token}"`;
  return token;
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** The file's text with the edits applied to one KmsSecret's data. */
export function editData(file: ParsedFile, target: KmsSecretDoc, edit: DataEdit): string {
  const { text } = file;
  const root = target.doc.contents as YAMLMap;
  const dataPair = root.items.find((p) => keyOf(p) === 'data');
  const data = dataPair?.value;
  const splices: Splice[] = [];
  const pending = new Map(edit.set);

  if (isMap(data) && data.items.length > 0 && data.flow) {
    throw usageError(`${file.file}: data is written in flow style ({…}); write it as a block mapping to edit it with kmsecret`);
  }
  if (isMap(data) && data.items.length > 0) {
    const pairs = data.items;
    for (const pair of pairs) {
      const key = keyOf(pair);
      const value = pair.value;
      if (!isScalar(value) || !value.range || !isScalar(pair.key) || !pair.key.range) continue;
      if (edit.unset.has(key)) {
        splices.push({ start: lineStart(text, pair.key.range[0]), end: endOfLineAfter(text, value), text: '' });
        continue;
      }
      const token = pending.get(key);
      if (token === undefined) continue;
      pending.delete(key);
      splices.push({ start: value.range[0], end: value.range[1], text: scalarText(value, token) });
    }
    if (pending.size > 0) {
      const first = pairs[0]?.key as Scalar;
      const indent = ' '.repeat((first.range?.[0] ?? 0) - lineStart(text, first.range?.[0] ?? 0));
      const keys = pairs.map(keyOf);
      const sorted = keys.every((k, i) => i === 0 || (keys[i - 1] as string) <= k);
      for (const [key, token] of [...pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const line = `${indent}${keyText(key)}: ${token}\n`;
        const before = sorted ? pairs.find((p) => keyOf(p) > key) : undefined;
        if (before && isScalar(before.key) && before.key.range) {
          const at = lineStart(text, before.key.range[0]);
          splices.push({ start: at, end: at, text: line });
        } else {
          const last = pairs[pairs.length - 1] as Pair;
          const at = endOfLineAfter(text, last.value as Scalar);
          splices.push({ start: at, end: at, text: at > 0 && text[at - 1] !== '\n' ? `\n${line}` : line });
        }
      }
    }
  } else if (pending.size > 0) {
    const lines = [...pending].map(([key, token]) => `  ${keyText(key)}: ${token}\n`).join('');
    if (dataPair && isScalar(dataPair.key) && dataPair.key.range) {
      // `data: {}`, `data:` or `data: ~`: the whole pair becomes a block mapping.
      const start = lineStart(text, dataPair.key.range[0]);
      const valueEnd = (dataPair.value as { range?: [number, number, number] } | null)?.range?.[1] ?? dataPair.key.range[1];
      const end = lineEnd(text, valueEnd);
      splices.push({ start, end, text: `data:\n${lines}` });
    } else {
      const end = root.range?.[1] ?? text.length;
      const at = lineEnd(text, Math.max(end - 1, 0));
      splices.push({ start: at, end: at, text: `${at > 0 && text[at - 1] !== '\n' ? '\n' : ''}data:\n${lines}` });
    }
  }
  return applySplices(text, splices);
}

export interface NewKmsSecret {
  name: string;
  namespace: string;
  type: string;
  immutable?: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Array<[string, string]>;
}

/** A new KmsSecret, as YAML (what `create` writes by default) or JSON (`create -o json`). */
export function newKmsSecretText(secret: NewKmsSecret, format: 'yaml' | 'json' = 'yaml'): string {
  const metadata: Record<string, unknown> = { name: secret.name };
  if (secret.namespace) metadata.namespace = secret.namespace;
  if (Object.keys(secret.labels).length > 0) metadata.labels = secret.labels;
  if (Object.keys(secret.annotations).length > 0) metadata.annotations = secret.annotations;
  // Keys sorted, as kubectl writes a Secret's data: a file reads the same however it was made.
  const data = Object.fromEntries([...secret.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const resource: Record<string, Emittable> = {
    apiVersion: kmsSecretApiVersion,
    kind: kmsSecretKind,
    metadata: metadata as Record<string, Emittable>,
    type: secret.type,
    ...(secret.immutable ? { immutable: true } : {}),
    data,
  };
  if (format === 'json') return `${JSON.stringify(resource, null, 2)}\n`;
  return emitResource(resource, false, 0);
}
