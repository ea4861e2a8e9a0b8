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
  /** Plaintext or an identity: mode 0600 always, even over an existing file of another mode.
   *  Otherwise a new file is 0644 and an existing one keeps its mode. */
  private?: boolean;
}

export function writeFileAtomic(path: string, cwd: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  let target = resolve(cwd, path);
  const exists = existsSync(target);
  if (exists && !options.replace) throw usageError(`${path} exists; refusing to overwrite it`, 'pass --force to replace it');
  // A link (a shared file, a dotfiles repo) is written through: the link stays a link.
  if (exists) target = realpathSync(target);
  if (!existsSync(dirname(target))) throw inputError('its directory does not exist', { file: path }, `create ${dirname(path)} first`);
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
    throw error;
  }
}
