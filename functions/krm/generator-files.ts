// The files a KmsSecretGenerator lists, read as kustomize reads a generator's
// own files: relative to the kustomization's directory (the plugin's working
// directory), and never outside it — a repository must not make the function
// read, and report on, files elsewhere on the machine.
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { inputError, KmsecretErrors, type KmsecretError } from '../errors.js';
import { readStream, type SourceItem } from './resource-list.js';

export function readGeneratorFiles(files: readonly string[], base: string): SourceItem[] {
  const root = realpathSync(base);
  const errors: KmsecretError[] = [];
  const items: SourceItem[] = [];
  for (const file of files) {
    const place = { file, field: 'files' };
    if (isAbsolute(file)) {
      errors.push(inputError('is an absolute path; a KmsSecretGenerator lists files relative to its kustomization', place));
      continue;
    }
    let path: string;
    try {
      path = realpathSync(resolve(root, file));
    } catch {
      errors.push(inputError('no such file', place, "paths are relative to the kustomization's directory"));
      continue;
    }
    const rel = relative(root, path);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      errors.push(
        inputError(
          "is outside the kustomization's directory",
          place,
          'move the KmsSecret file into the kustomization, as kustomize requires for its own files',
        ),
      );
      continue;
    }
    items.push(...readStream(readFileSync(path, 'utf8'), file));
  }
  if (errors.length > 0) throw new KmsecretErrors(errors);
  return items;
}
