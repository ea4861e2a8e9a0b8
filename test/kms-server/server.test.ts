/**
 * Drives the test KMS server with the real @aws-sdk/client-kms, so the wire
 * format (targets, base64 blobs, error names and statuses) is checked against
 * what the SDK actually sends and parses.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  KMSServiceException,
  ListAliasesCommand,
  NotFoundException,
  ReEncryptCommand,
  type KMSClientConfig,
} from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { startKmsServer, type KmsTestServer, type PolicyRequest } from './server.js';

// Read when a client is constructed, so setting it here (before any) is enough.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; code?: string };

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

let server: KmsTestServer;
let keyA: string;
let keyB: string;
const clients: KMSClient[] = [];

function kms(accessKeyId = 'AKIDTEST', extra: Partial<KMSClientConfig> = {}): KMSClient {
  const client = new KMSClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'x' },
    maxAttempts: 1,
    ...extra,
  });
  clients.push(client);
  return client;
}

/** The rejection of `promise`; fails the test if it resolves. */
async function failure(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

async function encrypt(client: KMSClient, plaintext: string, context?: Record<string, string>, keyId = keyA): Promise<Uint8Array> {
  const out = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8(plaintext), EncryptionContext: context }));
  if (!out.CiphertextBlob) throw new Error('no CiphertextBlob');
  return out.CiphertextBlob;
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw request, for what the SDK cannot send (no signature, unknown target). */
async function raw(target: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  server = await startKmsServer();
  keyA = server.createKey({ alias: 'alias/team-a', description: 'A' });
  keyB = server.createKey({ alias: 'alias/team-b' });
});

afterEach(() => {
  server.reset();
  delete server.policy;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server.close();
});

describe('cryptography', () => {
  it('round-trips Encrypt/Decrypt without and with an encryption context', async () => {
    const client = kms();
    const out = await client.send(new EncryptCommand({ KeyId: keyA, Plaintext: utf8('hunter2') }));
    expect(out.KeyId).toBe(keyA);
    expect(out.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    const plain = await client.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob }));
    expect(text(plain.Plaintext)).toBe('hunter2');
    expect(plain.KeyId).toBe(keyA);

    const context = { app: 'web', env: 'prod' };
    const blob = await encrypt(client, 's3cret', context);
    // Context key order must not matter: it is canonicalised.
    const back = await client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { env: 'prod', app: 'web' } }));
    expect(text(back.Plaintext)).toBe('s3cret');
  });

  it('rejects a context mismatch and a tampered blob with InvalidCiphertextException', async () => {
    const client = kms();
    const blob = await encrypt(client, 'x', { app: 'web' });
    const wrongContexts: Array<Record<string, string> | undefined> = [undefined, { app: 'api' }, { app: 'web', extra: '1' }];
    for (const EncryptionContext of wrongContexts) {
      const err = await failure(client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext })));
      expect(err.name).toBe('InvalidCiphertextException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
    }
    const tampered = Uint8Array.from(blob);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    const err = await failure(client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { app: 'web' } })));
    expect(err.name).toBe('InvalidCiphertextException');
    const garbage = await failure(client.send(new DecryptCommand({ CiphertextBlob: utf8('not a blob') })));
    expect(garbage.name).toBe('InvalidCiphertextException');
  });

  it('answers IncorrectKeyException when KeyId names another key, NotFoundException for unknown keys', async () => {
    const client = kms();
    const blob = await encrypt(client, 'x');
    const wrong = await failure(client.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: keyB })));
    expect(wrong.name).toBe('IncorrectKeyException');
    const right = await client.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: 'alias/team-a' }));
    expect(text(right.Plaintext)).toBe('x');
    const missing = await failure(client.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: utf8('x') })));
    expect(missing.name).toBe('NotFoundException');
    // Modelled KMS errors come back as the SDK's own classes.
    expect(missing).toBeInstanceOf(NotFoundException);
  });

  it('validates the plaintext size', async () => {
    const client = kms();
    const big = await failure(client.send(new EncryptCommand({ KeyId: keyA, Plaintext: new Uint8Array(4097) })));
    expect(big.name).toBe('ValidationException');
    await expect(client.send(new EncryptCommand({ KeyId: keyA, Plaintext: new Uint8Array(4096) }))).resolves.toBeDefined();
  });

  it('GenerateDataKey returns a key whose blob decrypts to the same plaintext', async () => {
    const client = kms();
    const context = { tenant: 't1' };
    const dk = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/team-a', KeySpec: 'AES_256', EncryptionContext: context }));
    expect(dk.Plaintext?.length).toBe(32);
    expect(dk.KeyId).toBe(keyA);
    const back = await client.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(back.Plaintext ?? []).equals(Buffer.from(dk.Plaintext ?? []))).toBe(true);

    const short = await client.send(new GenerateDataKeyCommand({ KeyId: keyA, NumberOfBytes: 16 }));
    expect(short.Plaintext?.length).toBe(16);
    const neither = await failure(client.send(new GenerateDataKeyCommand({ KeyId: keyA })));
    expect(neither.name).toBe('ValidationException');
  });

  it('ReEncrypt moves a blob to another key and context without counting as Decrypt', async () => {
    const client = kms();
    const blob = await encrypt(client, 'moving', { v: '1' });
    server.reset();
    const out = await client.send(
      new ReEncryptCommand({
        CiphertextBlob: blob,
        SourceEncryptionContext: { v: '1' },
        DestinationKeyId: 'alias/team-b',
        DestinationEncryptionContext: { v: '2' },
      }),
    );
    expect(out.SourceKeyId).toBe(keyA);
    expect(out.KeyId).toBe(keyB);
    expect(server.count('Decrypt')).toBe(0);
    expect(server.count('ReEncrypt')).toBe(1);
    expect(server.calls[0]).toMatchObject({ op: 'ReEncrypt', keyArn: keyB, sourceKeyArn: keyA, encryptionContext: { v: '2' } });

    const back = await client.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { v: '2' } }));
    expect(text(back.Plaintext)).toBe('moving');
    expect(back.KeyId).toBe(keyB);
    const old = await failure(client.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { v: '1' } })));
    expect(old.name).toBe('InvalidCiphertextException');
    const wrongSource = await failure(
      client.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { v: '1' }, SourceKeyId: keyB, DestinationKeyId: keyB })),
    );
    expect(wrongSource.name).toBe('IncorrectKeyException');
  });
});

describe('key management', () => {
  it('creates keys and aliases through the API; every identifier form works', async () => {
    const client = kms();
    const created = await client.send(new CreateKeyCommand({ Description: 'via sdk' }));
    const meta = created.KeyMetadata;
    expect(meta).toMatchObject({ Enabled: true, KeyState: 'Enabled', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    expect(meta?.CreationDate).toBeInstanceOf(Date);
    const keyId = meta?.KeyId ?? '';
    await client.send(new CreateAliasCommand({ AliasName: 'alias/via-sdk', TargetKeyId: keyId }));

    const aliasArn = `arn:aws:kms:${server.region}:${server.account}:alias/via-sdk`;
    for (const id of [keyId, meta?.Arn, 'alias/via-sdk', aliasArn]) {
      const described = await client.send(new DescribeKeyCommand({ KeyId: id }));
      expect(described.KeyMetadata?.Arn).toBe(meta?.Arn);
      const blob = await encrypt(client, 'x', undefined, id);
      const back = await client.send(new DecryptCommand({ CiphertextBlob: blob }));
      expect(back.KeyId).toBe(meta?.Arn);
    }

    const list = await client.send(new ListAliasesCommand({}));
    expect(list.Aliases).toContainEqual({ AliasName: 'alias/via-sdk', AliasArn: aliasArn, TargetKeyId: keyId });
    expect(list.Aliases?.map((a) => a.AliasName)).toEqual(expect.arrayContaining(['alias/team-a', 'alias/team-b']));
    const dup = await failure(client.send(new CreateAliasCommand({ AliasName: 'alias/via-sdk', TargetKeyId: keyId })));
    expect(dup.name).toBe('AlreadyExistsException');
  });

  it('a disabled key refuses Encrypt and Decrypt until re-enabled', async () => {
    const client = kms();
    const keyId = server.createKey();
    const blob = await encrypt(client, 'x', undefined, keyId);
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    const described = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(described.KeyMetadata).toMatchObject({ Enabled: false, KeyState: 'Disabled' });
    expect((await failure(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })))).name).toBe('DisabledException');
    expect((await failure(client.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('DisabledException');
    await client.send(new EnableKeyCommand({ KeyId: keyId }));
    expect(text((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe('x');
  });
});

describe('protocol edges', () => {
  it('answers MissingAuthenticationTokenException (403) without an Authorization header', async () => {
    const res = await raw('TrentService.DescribeKey', { KeyId: keyA });
    expect(res.status).toBe(403);
    expect(res.json['__type']).toBe('MissingAuthenticationTokenException');
  });

  it('answers UnknownOperationException for an unknown target', async () => {
    const auth = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/kms/aws4_request, Signature=0' };
    for (const target of ['TrentService.Nope', 'TrentService.toString', 'Other.Encrypt']) {
      const res = await raw(target, {}, auth);
      expect(res.status).toBe(400);
      expect(res.json['__type']).toBe('UnknownOperationException');
    }
  });
});

describe('call log', () => {
  it('records op, key, context, status and principal, and never plaintext', async () => {
    const client = kms('AKIDROLEA');
    const blob = await encrypt(client, 'plaintext-marker', { app: 'web' }, 'alias/team-a');
    await client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { app: 'web' } }));
    expect(server.count()).toBe(2);
    expect(server.count('Encrypt')).toBe(1);
    expect(server.calls[0]).toMatchObject({
      op: 'Encrypt',
      keyId: 'alias/team-a',
      keyArn: keyA,
      encryptionContext: { app: 'web' },
      status: 200,
      principal: 'AKIDROLEA',
    });
    expect(server.calls[1]).toMatchObject({ op: 'Decrypt', keyArn: keyA, status: 200 });
    const log = JSON.stringify(server.calls);
    expect(log).not.toContain('plaintext-marker');
    expect(log).not.toContain(Buffer.from('plaintext-marker').toString('base64'));
  });
});

describe('faults', () => {
  it('throttleFirst answers ThrottlingException, then recovers', async () => {
    const client = kms();
    server.faults = { throttleFirst: 2 };
    for (let i = 0; i < 2; i++) {
      const err = await failure(encrypt(client, 'x'));
      expect(err.name).toBe('ThrottlingException');
      // Not in the KMS model: the SDK builds a KMSServiceException named after __type.
      expect(err).toBeInstanceOf(KMSServiceException);
      expect(err.$metadata?.httpStatusCode).toBe(400);
    }
    await expect(encrypt(client, 'x')).resolves.toBeInstanceOf(Uint8Array);
    expect(server.calls.map((c) => c.status)).toEqual([400, 400, 200]);
  });

  // Throttling is left out only because the SDK backs off 500 ms+ before retrying it.
  it("the SDK's own retries treat 5xx and dropped sockets as retryable", async () => {
    const client = kms('AKIDTEST', { maxAttempts: 3 });
    server.faults = { dropFirst: 1, error5xxFirst: 2 };
    await expect(encrypt(client, 'x')).resolves.toBeInstanceOf(Uint8Array);
    expect(server.calls.map((c) => c.error ?? c.status)).toEqual(['SocketDropped', 'KMSInternalException', 200]);
  });

  it('throttleRate is deterministic for a seed', async () => {
    const client = kms();
    const pattern = async (): Promise<boolean[]> => {
      server.faults = { throttleRate: 0.5, seed: 42 };
      const out: boolean[] = [];
      for (let i = 0; i < 20; i++)
        out.push(
          await encrypt(client, 'x').then(
            () => true,
            () => false,
          ),
        );
      return out;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('error5xx gives KMSInternalException with HTTP 500', async () => {
    server.faults = { error5xxFirst: 1 };
    const err = await failure(encrypt(kms(), 'x'));
    expect(err.name).toBe('KMSInternalException');
    expect(err.$metadata?.httpStatusCode).toBe(500);
  });

  it('drop destroys the socket: a network error with no HTTP status', async () => {
    server.faults = { dropFirst: 1 };
    const err = await failure(encrypt(kms(), 'x'));
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(err.code).toBe('ECONNRESET');
    await until(() => server.inFlight === 0);
    expect(server.calls[0]).toMatchObject({ status: 0, error: 'SocketDropped' });
  });

  it('hangMs outlasts a client deadline, and the abandoned request leaves the in-flight count', async () => {
    server.faults = { hangMs: 5000 };
    const started = Date.now();
    const err = await failure(encrypt(kms('AKIDTEST', { requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } }), 'x'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.name).toBe('TimeoutError');
    await until(() => server.inFlight === 0);
    expect(server.calls[0]).toMatchObject({ status: 0, error: 'ClientClosed' });
  });

  it('failOps answers the configured error for one operation only', async () => {
    const client = kms();
    const blob = await encrypt(client, 'x');
    server.faults = { failOps: { Decrypt: { type: 'AccessDeniedException', message: 'nope' } } };
    const err = await failure(client.send(new DecryptCommand({ CiphertextBlob: blob })));
    expect(err.name).toBe('AccessDeniedException');
    expect(err.message).toBe('nope');
    await expect(encrypt(client, 'x')).resolves.toBeInstanceOf(Uint8Array);
  });

  it('applies latency, and counts concurrent requests in flight', async () => {
    const client = kms();
    server.faults = { latencyMs: 150 };
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => encrypt(client, 'x')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(server.maxInFlight).toBe(10);
    expect(server.count('Encrypt')).toBe(10);
    await until(() => server.inFlight === 0);
  });

  it('throttleAboveInFlight throttles whatever exceeds the concurrency quota', async () => {
    const client = kms();
    server.faults = { latencyMs: 100, throttleAboveInFlight: 4 };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        encrypt(client, 'x').then(
          () => 'ok',
          (e: SdkError) => e.name,
        ),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(results.filter((r) => r === 'ThrottlingException')).toHaveLength(6);
  });
});

describe('policy hook', () => {
  it('denies by principal and operation with an AWS-shaped message', async () => {
    const seen: PolicyRequest[] = [];
    server.policy = (req) => {
      seen.push(req);
      return !(req.principal === 'AKIDROLEB' && req.op === 'Decrypt');
    };
    const blob = await encrypt(kms('AKIDROLEB'), 'x', { app: 'web' });
    const err = await failure(kms('AKIDROLEB').send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { app: 'web' } })));
    expect(err.name).toBe('AccessDeniedException');
    expect(err.message).toContain('User: AKIDROLEB is not authorized to perform: kms:Decrypt on resource: ' + keyA);
    expect(seen.at(-1)).toEqual({ op: 'Decrypt', keyArn: keyA, encryptionContext: { app: 'web' }, principal: 'AKIDROLEB' });

    const ok = await kms('AKIDROLEA').send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { app: 'web' } }));
    expect(text(ok.Plaintext)).toBe('x');
  });

  it('checks ReEncrypt against both keys (kms:ReEncryptFrom and kms:ReEncryptTo)', async () => {
    const client = kms();
    const blob = await encrypt(client, 'x', { v: '1' });
    const seen: Array<[string, string, Record<string, string>]> = [];
    server.policy = (req) => {
      seen.push([req.op, req.keyArn, req.encryptionContext]);
      return req.keyArn !== keyB;
    };
    const err = await failure(
      client.send(
        new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { v: '1' }, DestinationKeyId: keyB, DestinationEncryptionContext: { v: '2' } }),
      ),
    );
    expect(err.name).toBe('AccessDeniedException');
    expect(err.message).toContain('kms:ReEncryptTo');
    expect(seen).toEqual([
      ['ReEncryptFrom', keyA, { v: '1' }],
      ['ReEncryptTo', keyB, { v: '2' }],
    ]);
  });
});

describe('cli', () => {
  it('prints the endpoint and created keys, and serves them', async () => {
    const lines: string[] = [];
    const cli = await main(['--port', '0', '--latency-ms', '1', '--seed', '7', '--create-key', 'alias/cli', '--create-key'], (l) => lines.push(l));
    try {
      expect(lines).toHaveLength(1);
      const ready = JSON.parse(lines[0] ?? '') as { endpoint: string; keys: Record<string, string> };
      expect(ready.endpoint).toBe(cli.server.endpoint);
      expect(Object.keys(ready.keys)).toHaveLength(2);
      const client = new KMSClient({
        endpoint: ready.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      clients.push(client);
      const out = await client.send(new EncryptCommand({ KeyId: 'alias/cli', Plaintext: utf8('x') }));
      expect(out.KeyId).toBe(ready.keys['alias/cli']);
      const stats = (await (await fetch(`${ready.endpoint}/_stats`)).json()) as { byOp: Record<string, number> };
      expect(stats.byOp).toEqual({ Encrypt: 1 });
    } finally {
      await cli.stop();
    }
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
