// Reading the whole of stdin, as kmsecret-fn must before it can answer.
//
// A ResourceList can be tens of megabytes, and on the machines we measured
// memory touched for the first time costs more than the work done on it (about
// 3 ms per MiB). A stream hands over 64 KiB chunks that must then be joined: the
// input is written to memory twice before it is decoded. Here read(2) fills one
// buffer that grows in place (a resizable ArrayBuffer reserves its address space
// and commits pages as they are written, so growing copies nothing): the input
// is written once.
import { constants, isAscii } from 'node:buffer';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { inputError } from '../errors.js';
import type { InputText } from './output.js';

/** The longest string V8 makes: a longer input could not be read as text anyway. */
const maxBytes = constants.MAX_STRING_LENGTH;

function tooLarge(): Error {
  return inputError(`stdin is larger than ${Math.floor(maxBytes / 2 ** 20)} MiB, more than kmsecret-fn can read`, {}, 'split the package');
}

class GrowingBuffer {
  // One byte more than can be read: an input of exactly maxBytes still finds room to read its end.
  readonly #memory = new ArrayBuffer(1 << 16, { maxByteLength: maxBytes + 1 });
  /** Tracks the buffer's length as it grows. */
  readonly #view = new Uint8Array(this.#memory);
  length = 0;

  /** Room for at least one more byte: the view to read into, and where. */
  room(): { view: Uint8Array; from: number; size: number } {
    if (this.length === this.#memory.byteLength) {
      if (this.length > maxBytes) throw tooLarge();
      this.#memory.resize(Math.min(maxBytes + 1, this.length * 2));
    }
    return { view: this.#view, from: this.length, size: this.#memory.byteLength - this.length };
  }

  append(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length;) {
      const { view, from, size } = this.room();
      const part = chunk.subarray(at, at + size);
      view.set(part, from);
      this.length += part.length;
      at += part.length;
    }
  }

  bytes(): Buffer {
    if (this.length > maxBytes) throw tooLarge();
    return Buffer.from(this.#memory, 0, this.length);
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** A descriptor of the same pipe that blocks (fd 0 may have been left non-blocking by the
 *  process that started us); undefined for anything but an anonymous pipe. (Opening a named
 *  FIFO waits for a writer, and the last one may have gone: that open would never return.) */
function blockingStdin(): number | undefined {
  try {
    if (!/^pipe:\[/.test(readlinkSync('/proc/self/fd/0'))) return undefined;
    return openSync('/proc/self/fd/0', 'r');
  } catch {
    return undefined;
  }
}

/** Every byte of stdin. */
async function readAll(): Promise<Buffer> {
  const buffer = new GrowingBuffer();
  let fd = 0;
  try {
    for (;;) {
      const { view, from, size } = buffer.room();
      let read: number;
      try {
        read = readSync(fd, view, from, size, null);
      } catch (error) {
        // A signal (Node's own SIGUSR1 handler does not restart reads): read again.
        if (errorCode(error) === 'EINTR') continue;
        if (errorCode(error) !== 'EAGAIN') throw inputError('cannot read stdin', {}, 'pipe a ResourceList into kmsecret-fn');
        const reopened = fd === 0 ? blockingStdin() : undefined;
        if (reopened !== undefined) {
          fd = reopened;
          continue;
        }
        // Nothing that blocks: the event loop waits for the rest.
        for await (const chunk of process.stdin) buffer.append(chunk as Buffer);
        break;
      }
      if (read === 0) break;
      buffer.length += read;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return buffer.bytes();
}

/** stdin as UTF-8 text, and its bytes when they are all ASCII (the output reuses them). */
export async function readStdin(): Promise<InputText> {
  const bytes = await readAll();
  if (isAscii(bytes)) return { text: bytes.toString('latin1'), asciiBytes: bytes };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    throw inputError('stdin is not UTF-8 text', {}, 'YAML input must be UTF-8');
  }
}
