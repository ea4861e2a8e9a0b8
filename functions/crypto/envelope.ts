// Envelope encryption of one value: AES-256-GCM under a data key that a key
// provider wraps. Values of any size work (KMS itself only takes 4 KiB).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const dataKeyBytes = 32;
const nonceBytes = 12;
const tagBytes = 16;

export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(dataKeyBytes));
}

/** nonce ‖ ciphertext ‖ tag, with `aad` authenticated. */
export function seal(dataKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

/** The plaintext, or undefined when the data is not authentic (tampered, truncated, other key). */
export function open(dataKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (dataKey.length !== dataKeyBytes || sealed.length < nonceBytes + tagBytes) return undefined;
  const nonce = sealed.subarray(0, nonceBytes);
  const tag = sealed.subarray(sealed.length - tagBytes);
  const body = sealed.subarray(nonceBytes, sealed.length - tagBytes);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    return undefined;
  }
}
