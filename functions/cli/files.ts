// Files the CLI writes: never over an existing file unless asked, atomically
// (a crash leaves the old file or the new one, never half of each), and
// private when they hold a key or plaintext.
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inputError, usageError } from '../errors.js';

export function readText(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw inputError(readProblem(code), { file: path });
  }
}

function readProblem(code: string | undefined): string {
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES') return 'cannot read it: permission denied';
  return `cannot read it (${code ?? 'error'})`;
}

export function readBytes(path: string, cwd: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(cwd, path)));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw inputError(readProblem(code), { file: path });
  }
}

export interface WriteOptions {
  /** Allow replacing an existing file (a new file otherwise). */
  replace?: boolean;
  /** Plaintext or an identity: mode 0600 always, even over an existing file of another mode.
   *  Otherwise a new file is 0644 and an existing one keeps its mode. */
  private?: boolean;
}

/** Where a file is written, checked before any work is done (a provider call, a prompt):
 *  an output that cannot be written fails at once, with what to do. */
export function checkOutputFile(path: string, cwd: string, options: WriteOptions = {}): void {
  if (path === '') throw usageError('--output-file needs a file name');
  const target = resolve(cwd, path);
  const stat = statSync(target, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw usageError(`${path} is a directory`, 'give the file to write inside it, e.g. DIR/NAME.yaml');
  if (stat && !options.replace) throw usageError(`${path} exists; refusing to overwrite it`, 'pass --force to replace it');
  const dir = dirname(stat ? realpathSync(target) : target);
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw usageError(`${path}: its directory does not exist`, `create it first: mkdir -p ${dirname(path)}`);
  if (!dirStat.isDirectory()) throw usageError(`${path}: ${dirname(path)} is not a directory`);
}

export function writeFileAtomic(path: string, cwd: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  checkOutputFile(path, cwd, options);
  let target = resolve(cwd, path);
  const exists = existsSync(target);
  // A link (a shared file, a dotfiles repo) is written through: the link stays a link.
  if (exists) target = realpathSync(target);
  const mode = options.private ? 0o600 : exists ? statSync(target).mode & 0o777 : 0o644;
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, mode);
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    const code = (error as { code?: string }).code;
    if (typeof code === 'string') {
      throw usageError(
        `${path}: cannot write it (${code})`,
        code === 'EACCES' || code === 'EPERM' ? `you may not write in ${dirname(path)}` : code === 'ENOSPC' ? 'the disk is full' : undefined,
      );
    }
    throw error;
  }
}
