// Plaintext on disk, for as short as possible: `edit` writes the decrypted
// values to a 0600 file in a 0700 directory — in /dev/shm (memory) where it
// exists — and removes it on every way out it can see: normal return, error,
// editor failure, and every fatal signal a process can catch. What it cannot
// see (SIGKILL, a power cut) the next `edit` of the same user cleans up: the
// directory's name holds the pid that made it.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateFile {
  path: string;
  remove(): void;
}

const dirPrefix = 'kmsecret-edit-';

function privateRoots(): string[] {
  const roots: string[] = [];
  try {
    accessSync('/dev/shm', constants.W_OK);
    roots.push('/dev/shm');
  } catch {
    // no memory file system here
  }
  roots.push(tmpdir());
  return roots;
}

/** Signals whose default action ends the process and that Node lets a program catch. */
const fatalSignals: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGPIPE',
  'SIGALRM',
  'SIGUSR1',
  'SIGUSR2',
  'SIGVTALRM',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGPROF',
  'SIGTRAP',
  'SIGSYS',
  'SIGABRT',
];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Removes what an `edit` of this user left behind when it was killed. */
export function removeStaleEditFiles(): void {
  const uid = process.getuid?.();
  for (const root of privateRoots()) {
    let names: string[];
    try {
      names = readdirSync(root).filter((n) => n.startsWith(dirPrefix));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(root, name);
      try {
        const stat = statSync(dir);
        if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
        const pid = Number(/^kmsecret-edit-(\d+)-/.exec(name)?.[1]);
        const stale = Number.isInteger(pid) && pid > 0 ? !alive(pid) : Date.now() - stat.mtimeMs > 24 * 3600 * 1000;
        if (stale) rmSync(dir, { recursive: true, force: true });
      } catch {
        // gone meanwhile, or not ours to remove
      }
    }
  }
}

export function privateFile(name: string, text: string): PrivateFile {
  removeStaleEditFiles();
  const dir = mkdtempSync(join(privateRoots()[0] as string, `${dirPrefix}${process.pid}-`));
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  let removed = false;
  const listeners: Array<[NodeJS.Signals, () => void]> = [];
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
    process.removeListener('exit', remove);
  };
  for (const signal of fatalSignals) {
    // After cleaning up, the signal is raised again with no handler, so the process ends the
    // way the signal says (exit status 130 for Ctrl-C).
    const listener = () => {
      remove();
      process.kill(process.pid, signal);
    };
    try {
      process.once(signal, listener);
      listeners.push([signal, listener]);
    } catch {
      // a signal this platform does not have
    }
  }
  process.once('exit', remove);
  return { path, remove };
}

/** Runs $VISUAL or $EDITOR (default vi) on path, as git and kubectl do: through sh, so "code --wait" works. */
export function runEditor(path: string, editor: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `${editor} "$1"`, 'sh', path], { stdio: 'inherit', env });
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export function rewrite(file: PrivateFile, text: string): void {
  writeFileSync(file.path, text, { mode: 0o600 });
}
