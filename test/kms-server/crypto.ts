/**
 * Ciphertext blob format for the test KMS server.
 *
 * Layout (all lengths in bytes):
 *   [0]        MAGIC (0x6b, "k") - lets us reject random bytes early, as KMS does
 *   [1]        VERSION
 *   [2]        L = length of the key id (UTF-8)
 *   [3..3+L)   key id (the UUID of the KMS key that sealed the blob)
 *   [..+12)    GCM IV
 *   [..-16)    ciphertext
 *   [-16..)    GCM tag
 *
 * The header (magic, version, key id) and the canonical encryption context are
 * both fed to GCM as AAD, so editing the key id or presenting a different
 * context fails authentication, which the server maps to
 * InvalidCiphertextException just as KMS does.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type EncryptionContext = Record<string, string>;

const MAGIC = 0x6b;
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_FIXED_BYTES = 3;
export const KEY_MATERIAL_BYTES = 32;

/** Thrown for any blob that is malformed or fails authentication. */
export class BlobError extends Error {
  override readonly name = 'BlobError';
}

/**
 * Canonical byte form of an encryption context: pairs sorted by key, as JSON.
 * An array of pairs (not an object) because JS objects reorder integer-like
 * keys, and because absent and empty contexts must be identical, as in KMS.
 */
export function canonicalContext(context: EncryptionContext | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  if (id.length === 0 || id.length > 255) throw new RangeError('key id must be 1..255 bytes');
  return Buffer.concat([Buffer.from([MAGIC, VERSION, id.length]), id]);
}

function aad(head: Buffer, context: EncryptionContext | undefined): Buffer {
  return Buffer.concat([head, canonicalContext(context)]);
}

/** Encrypt `plaintext` under `material` (32 bytes) and return a self-describing blob. */
export function sealBlob(keyId: string, material: Buffer, plaintext: Uint8Array, context: EncryptionContext | undefined): Buffer {
  const head = header(keyId);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  cipher.setAAD(aad(head, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, iv, body, cipher.getAuthTag()]);
}

export interface ParsedBlob {
  keyId: string;
  head: Buffer;
  iv: Buffer;
  body: Buffer;
  tag: Buffer;
}

/** Split a blob into its parts without decrypting; used to find which key sealed it. */
export function parseBlob(blob: Uint8Array): ParsedBlob {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < HEADER_FIXED_BYTES || buf[0] !== MAGIC || buf[1] !== VERSION) {
    throw new BlobError('not a ciphertext blob of this server');
  }
  const idLength = buf[2] ?? 0;
  const ivStart = HEADER_FIXED_BYTES + idLength;
  if (idLength === 0 || buf.length < ivStart + IV_BYTES + TAG_BYTES) {
    throw new BlobError('ciphertext blob is truncated');
  }
  return {
    keyId: buf.subarray(HEADER_FIXED_BYTES, ivStart).toString('utf8'),
    head: buf.subarray(0, ivStart),
    iv: buf.subarray(ivStart, ivStart + IV_BYTES),
    body: buf.subarray(ivStart + IV_BYTES, buf.length - TAG_BYTES),
    tag: buf.subarray(buf.length - TAG_BYTES),
  };
}

/** Decrypt a parsed blob; throws BlobError on tampering or a context mismatch. */
export function openBlob(parsed: ParsedBlob, material: Buffer, context: EncryptionContext | undefined): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', material, parsed.iv);
  decipher.setAAD(aad(parsed.head, context));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.body), decipher.final()]);
  } catch {
    throw new BlobError('ciphertext authentication failed');
  }
}
