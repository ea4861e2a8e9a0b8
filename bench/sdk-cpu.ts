// What a KMS Decrypt costs in CPU, in a process of its own: through kmsecret's
// provider (functions/providers/aws-kms.ts: its own JSON request, signed by the
// SDK's SigV4 signer with the SDK's credentials, as the render calls it) or
// through a KMSClient with the SDK's defaults, as 0.1.0 called it.
//
//   node build/sdk-cpu.mjs ours|default CALLS.json      prints {"userUs": …, "systemUs": …} per call
//
// calls.json: [{ wrapped (base64), keyId, context }], one per data key. The first
// 100 calls warm up; the CPU of the rest (process.cpuUsage: every thread) is
// divided by their number. 16 calls in flight, as the render makes them.
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { AwsKmsProvider } from '../functions/providers/aws-kms.js';

interface Call {
  wrapped: string;
  keyId: string;
  context: Record<string, string>;
}

const mode = process.argv[2];
const calls = (JSON.parse(readFileSync(process.argv[3] as string, 'utf8')) as Call[]).map((c) => ({ ...c, blob: Buffer.from(c.wrapped, 'base64') }));
const signal = new AbortController().signal;
// One signal for every call, as the key service's deadline is.
setMaxListeners(0, signal);
const provider = new AwsKmsProvider();
const client = new KMSClient({ maxAttempts: 1 });
const decrypt =
  mode === 'ours'
    ? (c: (typeof calls)[number]) => provider.unwrapDataKey(c.blob, c.keyId, c.context, signal)
    : (c: (typeof calls)[number]) => client.send(new DecryptCommand({ CiphertextBlob: c.blob, KeyId: c.keyId, EncryptionContext: c.context }));

async function all(batch: typeof calls): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < batch.length) await decrypt(batch[next++] as (typeof calls)[number]);
    }),
  );
}

const warm = 100;
await all(calls.slice(0, warm));
const before = process.cpuUsage();
await all(calls.slice(warm));
const used = process.cpuUsage(before);
const n = calls.length - warm;
process.stdout.write(`${JSON.stringify({ userUs: used.user / n, systemUs: used.system / n })}\n`);
