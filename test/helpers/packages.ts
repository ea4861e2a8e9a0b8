// Packages and kustomizations on disk for the kpt and kustomize tests.
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fnBin, repoRoot } from './run.js';

export const corpusDir = join(repoRoot, 'test', 'fixtures', 'kube-prometheus', 'manifests');

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Every file below dir, path → contents. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

export function copyCorpus(to: string): void {
  cpSync(corpusDir, to, { recursive: true });
}

/** A bin dir with `kmsecret-fn` on it, as a user's PATH has after `npm i -g kmsecret`. */
export function binDir(root: string): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(fnBin, join(bin, 'kmsecret-fn'));
  return bin;
}

/** Values that YAML tools love to rewrite; a pass-through must leave them as written. */
export const trickyConfigMap = `# a comment before the resource
apiVersion: v1
kind: ConfigMap
metadata:
  name: tricky # trailing comment
  annotations:
    note: "double"
data:
  date: 2020-01-01
  octal: 0755
  version: 1.10
  null-ish: ~
  big: 12345678901234567890
  hex: 0x1F
  yes: yes
  flow: {a: 1, b: [x, y]}
  literal: |
    keep
      indentation
  empty: ""
`;
