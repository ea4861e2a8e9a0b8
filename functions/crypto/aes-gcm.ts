// AES-256-GCM, and nothing else: the cipher every value is sealed with. Values
// of any size work (KMS itself only takes 4 KiB). What is sealed under which
// key, with which associated data, is the token format's business (token/).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const keyBytes = 32;
export const nonceBytes = 12;
export const tagBytes = 16;

export function newKey(): Uint8Array {
  return new Uint8Array(randomBytes(keyBytes));
}

/** nonce ‖ ciphertext ‖ tag, with `aad` authenticated. `nonce` only for test vectors. */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, nonce: Uint8Array = randomBytes(nonceBytes)): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

/** The plaintext, or undefined when the data is not authentic (tampered, truncated, other key). */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (key.length !== keyBytes || sealed.length < nonceBytes + tagBytes) return undefined;
  const nonce = sealed.subarray(0, nonceBytes);
  const tag = sealed.subarray(sealed.length - tagBytes);
  const body = sealed.subarray(nonceBytes, sealed.length - tagBytes);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    return undefined;
  }
}
