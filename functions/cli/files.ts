// Files the CLI writes: never over an existing file unless asked, atomically
// (a crash leaves the old file or the new one, never half of each), and
// private when they hold a key or plaintext.
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync, existsSync, readFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inputError, usageError } from '../errors.js';

export function readText(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw inputError(code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'error'})`, { file: path });
  }
}

export function readBytes(path: string, cwd: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(cwd, path)));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw inputError(code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'error'})`, { file: path });
  }
}

export interface WriteOptions {
  /** Allow replacing an existing file (a new file otherwise). */
  replace?: boolean;
  /** File mode for a new file (an existing file keeps its own). */
  mode?: number;
}

export function writeFileAtomic(path: string, cwd: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const target = resolve(cwd, path);
  const exists = existsSync(target);
  if (exists && !options.replace) throw usageError(`${path} exists; refusing to overwrite it`, 'pass --force to replace it');
  const mode = exists ? statSync(target).mode & 0o777 : (options.mode ?? 0o644);
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
    throw error;
  }
}
