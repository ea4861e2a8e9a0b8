// What kustomizations do to the files `kmsecret check` reads: the namespace
// each file's resources end up in (an overlay's `namespace:` overrides its
// bases', and applies after every generator and transformer of the bases has
// run), and entries that kubectl kustomize would silently skip.
//
// A value must land in the namespace it is bound to. The transformer form
// fails at render time when it does not; the generator form cannot see it
// (kustomize applies `namespace:` after the generator ran), and neither can a
// transformer in a base that an overlay moves. So check says it before the
// render does — or does not.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { inputError, type KmsecretError } from '../errors.js';
import { annotationsOf, resourceRef } from '../k8s/resource.js';
import { parseDocuments } from '../krm/yaml.js';
import { generatorKind, isKmsSecret, transformerKind } from '../model/kmssecret.js';

export const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Where a file's resources land, and which kustomization says so. */
export interface Placement {
  namespace: string;
  kustomization: string;
}

export interface KustomizationView {
  /** Absolute file path → its placement, for files that some kustomization moves. */
  placements: Map<string, Placement>;
  /** Absolute file path → the KmsSecretTransformer file that decrypts it (its env settings:
   *  shush prefixes and context, pod spec paths), for files a kustomization lists next to one. */
  configs: Map<string, string>;
  errors: KmsecretError[];
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function kustomizationIn(dir: string): string | undefined {
  for (const name of kustomizationNames) {
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // not this name
    }
  }
  return undefined;
}

function readRoot(file: string): Record<string, unknown> | undefined {
  try {
    const value = parseDocuments(readFileSync(file, 'utf8'), file)[0]?.value;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    // `kmsecret check` reports the file's YAML errors when it reads the file itself.
    return undefined;
  }
}

/** The KmsSecret files a KmsSecretGenerator lists, as absolute paths (relative to its directory). */
function generatorFiles(file: string): string[] {
  let docs;
  try {
    docs = parseDocuments(readFileSync(file, 'utf8'), file);
  } catch {
    return [];
  }
  return docs.flatMap(({ value }) => {
    const record = value as Record<string, unknown> | null;
    if (!record || typeof record !== 'object' || record.kind !== generatorKind || !Array.isArray(record.files)) return [];
    return record.files.filter((f): f is string => typeof f === 'string').map((f) => resolve(dirname(file), f));
  });
}

/** A generator KmsSecret marked as an exec KRM function: kubectl kustomize skips it and renders nothing. */
function execGenerators(file: string, shown: (p: string) => string, errors: KmsecretError[]): void {
  let docs;
  try {
    docs = parseDocuments(readFileSync(file, 'utf8'), file);
  } catch {
    return;
  }
  for (const { value, line } of docs) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const record = value as Record<string, unknown>;
    if (!isKmsSecret(record) || !/^\s*exec:/m.test(annotationsOf(record)['config.kubernetes.io/function'] ?? '')) continue;
    errors.push(
      inputError(
        'is a generator with the exec function annotation, which kubectl kustomize (and Argo CD) skip without a word: the render would hold no Secret',
        { file: shown(file), line, resource: resourceRef(record) },
        'remove the config.kubernetes.io/function annotation and install the plugin layout (`kmsecret install-plugin`), or list the file in a KmsSecretGenerator',
      ),
    );
  }
}

/** The first KmsSecretTransformer among a kustomization's transformers: the one that decrypts its resources. */
function transformerConfig(entries: readonly string[], dir: string, root: string): string | undefined {
  for (const entry of entries) {
    const path = resolve(dir, entry);
    if (!inside(root, path) || !statSync(path, { throwIfNoEntry: false })?.isFile()) continue;
    const value = readRoot(path);
    if (value?.kind === transformerKind) return path;
  }
  return undefined;
}

/** The git work tree a file is in, or the file system's root where there is none. */
function repositoryOf(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return dir;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Follows every kustomization in `roots` and the directories their `resources:` name. */
export function viewKustomizations(roots: readonly string[], cwd: string): KustomizationView {
  const view: KustomizationView = { placements: new Map(), configs: new Map(), errors: [] };
  const shown = (p: string) => {
    const rel = relative(cwd, p);
    return rel.startsWith('..') ? p : rel;
  };
  const visiting = new Set<string>();
  const visit = (kustomization: string, override: Placement | undefined, outerConfig: string | undefined) => {
    const key = `${kustomization}\u0000${override?.namespace ?? ''}\u0000${outerConfig ?? ''}`;
    if (visiting.has(key)) return;
    visiting.add(key);
    const root = readRoot(kustomization);
    if (!root) return;
    const own = typeof root.namespace === 'string' && root.namespace !== '' ? { namespace: root.namespace, kustomization: shown(kustomization) } : undefined;
    // The outermost kustomization's namespace wins.
    const placement = override ?? own;
    const dir = dirname(kustomization);
    // A base's own transformer runs first (kustomize runs each level's transformers on its
    // resources), so the innermost KmsSecretTransformer is the one that decrypts.
    const config = transformerConfig(listOf(root.transformers), dir, repositoryOf(kustomization)) ?? outerConfig;
    for (const field of ['resources', 'generators', 'transformers', 'components']) {
      for (const entry of listOf(root[field])) {
        if (/^[a-z]+:\/\//i.test(entry) || entry.startsWith('git@')) continue;
        const path = resolve(dir, entry);
        // Only what lies in the kustomization's own repository: a kustomization in a pull request
        // must not make check read, and quote from, files elsewhere on the machine.
        if (!inside(repositoryOf(kustomization), path)) continue;
        const stat = statSync(path, { throwIfNoEntry: false });
        if (!stat) continue;
        if (stat.isDirectory()) {
          const inner = kustomizationIn(path);
          if (inner) visit(inner, placement, config);
          continue;
        }
        if (field === 'generators') execGenerators(path, shown, view.errors);
        // The transformer listed next to a resource decrypts it (a generator decrypts its own files).
        if (config && (field === 'resources' || field === 'components')) view.configs.set(path, config);
        // A KmsSecretGenerator's own files land where its kustomization puts them.
        const listed = field === 'generators' ? generatorFiles(path).filter((f) => inside(repositoryOf(kustomization), f)) : [];
        for (const missing of listed.filter((f) => !existsSync(f))) {
          view.errors.push(
            inputError(
              `lists ${relative(dirname(path), missing)}, which does not exist: the render fails on it`,
              { file: shown(path), field: 'files' },
              `make it (kmsecret create NAME -n NAMESPACE --key KEY … -w ${shown(missing)}), or take it out of files:`,
            ),
          );
        }
        const targets = [path, ...listed.filter((f) => existsSync(f))];
        for (const target of targets) {
          if (!placement || field === 'transformers') continue;
          const existing = view.placements.get(target);
          if (!existing || override) view.placements.set(target, placement);
        }
      }
    }
  };
  for (const root of roots) {
    const stat = statSync(root, { throwIfNoEntry: false });
    const kustomization = stat?.isDirectory() ? kustomizationIn(root) : stat && kustomizationNames.includes(basename(root)) ? root : undefined;
    if (kustomization) visit(kustomization, undefined, undefined);
  }
  // Errors may repeat when a file is reached twice.
  const seen = new Set<string>();
  view.errors = view.errors.filter((e) => {
    const id = `${e.place.file}:${e.place.line}:${e.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return view;
}
