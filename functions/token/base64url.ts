// base64url without padding (RFC 4648 §5): token fields stay plain YAML scalars.

const alphabet = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Strict decode: Buffer.from silently skips bad characters and ignores set bits past the
 *  last byte, so a field cut short by a copy-paste could still decode. Only the one canonical
 *  spelling of each byte string is accepted. */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (!alphabet.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes);
}
