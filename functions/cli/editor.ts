// Plaintext on disk, for as short as possible: `edit` writes the decrypted
// values to a 0600 file in a 0700 directory — in /dev/shm (memory) where it
// exists — and removes it on every way out: normal return, error, editor
// failure, and Ctrl-C / SIGTERM / SIGHUP.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateFile {
  path: string;
  remove(): void;
}

function privateRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const exitSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function privateFile(name: string, text: string): PrivateFile {
  const dir = mkdtempSync(join(privateRoot(), 'kmsecret-edit-'));
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  let removed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    process.kill(process.pid, signal);
  };
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
    for (const s of exitSignals) process.removeListener(s, onSignal);
    process.removeListener('exit', remove);
  };
  // `once`: after cleaning up, the signal is raised again with no handler, so the
  // process ends the way the signal says (exit status 130 for Ctrl-C).
  for (const s of exitSignals) process.once(s, onSignal);
  process.once('exit', remove);
  return { path, remove };
}

/** Runs $VISUAL or $EDITOR (default vi) on path, as git and kubectl do: through sh, so "code --wait" works. */
export function runEditor(path: string, env: NodeJS.ProcessEnv): Promise<number> {
  const editor = env.VISUAL || env.EDITOR || 'vi';
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `${editor} "$1"`, 'sh', path], { stdio: 'inherit', env });
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export function rewrite(file: PrivateFile, text: string): void {
  writeFileSync(file.path, text, { mode: 0o600 });
}
