// The per-value approach, as shush does it at every container start: one KMS
// Decrypt per encrypted value, one after the other, with the same SDK against
// the same server. Reads JSON lines {"blob": base64} on stdin.
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const blobs = Buffer.concat(chunks)
  .toString('utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => Buffer.from((JSON.parse(l) as { blob: string }).blob, 'base64'));
const client = new KMSClient({ maxAttempts: 3 });
let bytes = 0;
for (const blob of blobs) {
  const out = await client.send(new DecryptCommand({ CiphertextBlob: blob }));
  bytes += out.Plaintext?.length ?? 0;
}
process.stderr.write(`decrypted ${blobs.length} values (${bytes} bytes)\n`);
