import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every temporary file of a test file lives under one directory, removed after the file's
// tests (test/helpers/setup.ts): the tests' own directories, and (through TMPDIR, which
// cleanEnv passes to every child) what kustomize, kpt and the CLI leave behind.
let root: string | undefined;
export function scratchRoot(): string {
  root ??= mkdtempSync(join(tmpdir(), 'kmsecret-test-run-'));
  return root;
}

export function removeScratchRoot(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

/** A fresh directory, removed with the run's scratch root. */
export function tempDir(prefix = 'kmsecret-test-'): string {
  const base = scratchRoot();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, prefix));
}
