// The never-leak rule, as an assertion: a known plaintext must not appear in
// any byte a run wrote where it does not belong — raw, or in any encoding a
// careless message might use.
import { expect } from 'vitest';

function encodings(plaintext: string): string[] {
  const bytes = Buffer.from(plaintext, 'utf8');
  return [plaintext, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), JSON.stringify(plaintext).slice(1, -1)];
}

export function expectNoPlaintext(written: string, plaintexts: readonly string[], where = 'output'): void {
  for (const plaintext of plaintexts) {
    for (const form of encodings(plaintext)) {
      expect(written.includes(form), `${where} holds a plaintext value (as ${form === plaintext ? 'text' : 'an encoding'})`).toBe(false);
    }
  }
}

/** The same for secret bytes (a data key): raw as latin1, and in base64, base64url and hex. */
export function expectNoBytes(written: string, secrets: readonly Uint8Array[], where = 'output'): void {
  for (const secret of secrets) {
    const bytes = Buffer.from(secret);
    for (const form of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('latin1')]) {
      expect(written.includes(form), `${where} holds a data key`).toBe(false);
    }
  }
}
