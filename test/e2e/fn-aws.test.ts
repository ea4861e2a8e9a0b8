// kmsecret-fn against AWS KMS: the real @aws-sdk/client-kms over HTTP to the
// project's KMS protocol server (fault injection, call counts) and to moto.
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { kmsSecretYaml } from '../helpers/fixtures.js';
import { awsEnv, startMoto, useKmsServer, type Moto } from '../helpers/kms.js';
import { startKmsServer } from '../kms-server/server.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { runFn, type RunResult } from '../helpers/run.js';
import { describeWith } from '../helpers/tools.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const kms = useKmsServer();
const plaintext = (i: number, k: number) => `value-${i}-${k}-Zq8`;
const allPlaintexts = Array.from({ length: 40 }, (_, i) => Array.from({ length: 10 }, (_, k) => plaintext(i, k))).flat();

/** The provider the fixtures are sealed with, pointed at an endpoint the way the function is. */
function provider(endpoint: string): AwsKmsProvider {
  Object.assign(process.env, { AWS_ENDPOINT_URL_KMS: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDKMSECRETTEST', AWS_SECRET_ACCESS_KEY: 'x' });
  return new AwsKmsProvider();
}

async function secrets(endpoint: string, keyId: string, count: number, namespace = 'team-a'): Promise<string[]> {
  const p = provider(endpoint);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`KEY_${k}`, plaintext(i, k)]));
    out.push(await kmsSecretYaml(p, keyId, { name: `secret-${i}`, namespace, data }));
  }
  return out;
}

function expectFailure(result: RunResult, code: number, message: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(message);
  expect(parseList(result.stdout).items).toEqual([]);
  expectNoPlaintext(result.stdout + result.stderr, allPlaintexts);
}

let keyArn: string;
let fixtures: string[];
beforeAll(async () => {
  keyArn = kms.server().createKey({ alias: 'alias/team-a' });
  fixtures = await secrets(kms.server().endpoint, 'alias/team-a', 40);
});
beforeEach(() => {
  kms.server().reset();
  kms.server().policy = undefined;
});

describe('decryption is batched', () => {
  it('costs one KMS Decrypt per data key, however many values', async () => {
    const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const items = parseList(result.stdout).items;
    expect(items).toHaveLength(40);
    expect(decodeData(items[7] as Record<string, any>).KEY_3).toBe(plaintext(7, 3));
    expect(kms.server().count('Decrypt')).toBe(40);
    expect(kms.server().count()).toBe(40);
    const contexts = kms.server().calls.map((c) => c.encryptionContext);
    expect(contexts[0]).toEqual({
      'kmsecret:use': 'secret',
      'kmsecret:scope': 'strict',
      'kmsecret:namespace': 'team-a',
      'kmsecret:name': expect.stringMatching(/^secret-\d+$/),
    });
  });

  it('keeps to the concurrency bound', async () => {
    kms.server().faults = { latencyMs: 40 };
    const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint, { KMSECRET_CONCURRENCY: '4' }));
    expect(result.code, result.stderr).toBe(0);
    expect(kms.server().maxInFlight).toBeGreaterThan(0);
    expect(kms.server().maxInFlight).toBeLessThanOrEqual(4);
  });

  it('a repository cannot ask for more concurrency than the pipeline allows', async () => {
    kms.server().faults = { latencyMs: 10 };
    const config = 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\nconcurrency: 64\n';
    const result = await runFn(resourceList(fixtures, config), awsEnv(kms.server().endpoint, { KMSECRET_CONCURRENCY: '2' }));
    expect(result.code, result.stderr).toBe(0);
    expect(kms.server().maxInFlight).toBeLessThanOrEqual(2);
  });

  it("signs every request as KMS checks it (SigV4 by the SDK's signer, verified by the server)", async () => {
    kms.server().signingSecret = 'test-secret';
    try {
      const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint, { KMSECRET_CONCURRENCY: '8' }));
      expect(result.code, result.stderr).toBe(0);
      expect(kms.server().calls.every((c) => c.status === 200)).toBe(true);
      kms.server().reset();
      kms.server().signingSecret = 'another-secret';
      const forged = await runFn(resourceList(fixtures.slice(0, 1)), awsEnv(kms.server().endpoint));
      expect(forged.code).toBe(4);
      expect(forged.stderr).toMatch(/InvalidSignatureException/);
      // Temporary credentials (IRSA, SSO): the session token travels, signed.
      kms.server().reset();
      kms.server().signingSecret = 'test-secret';
      const temporary = await runFn(resourceList(fixtures.slice(0, 2)), awsEnv(kms.server().endpoint, { AWS_SESSION_TOKEN: 'test-session-token' }));
      expect(temporary.code, temporary.stderr).toBe(0);
      expect(kms.server().calls.map((c) => [c.status, c.sessionToken])).toEqual([
        [200, 'test-session-token'],
        [200, 'test-session-token'],
      ]);
    } finally {
      kms.server().signingSecret = undefined;
    }
  });

  it('reaches an endpoint with a path, or at an IPv6 address, signing what it sends', async () => {
    kms.server().signingSecret = 'test-secret';
    try {
      const withPath = await runFn(resourceList(fixtures.slice(0, 1)), awsEnv(`${kms.server().endpoint}/kms/`));
      expect(withPath.code, withPath.stderr).toBe(0);
      const v6 = await startKmsServer({ host: '::1' });
      v6.createKey({ alias: 'alias/team-a' });
      try {
        const docs = await secrets(v6.endpoint, 'alias/team-a', 1);
        v6.reset();
        v6.signingSecret = 'test-secret';
        const result = await runFn(resourceList(docs), awsEnv(v6.endpoint));
        expect(v6.endpoint).toMatch(/^http:\/\/\[::1\]:\d+$/);
        expect(result.code, result.stderr).toBe(0);
        expect(v6.count('Decrypt')).toBe(1);
      } finally {
        await v6.close();
      }
    } finally {
      kms.server().signingSecret = undefined;
    }
  });

  it('keeps the clock as it is when the pipeline says AWS_DISABLE_CLOCK_SKEW_CORRECTION', async () => {
    kms.server().clockOffsetMs = 2 * 60 * 60 * 1000;
    const result = await runFn(resourceList(fixtures.slice(0, 2)), awsEnv(kms.server().endpoint, { AWS_DISABLE_CLOCK_SKEW_CORRECTION: 'true' }));
    expectFailure(result, 4, /InvalidSignatureException/);
    expect(kms.server().calls.every((c) => c.error === 'InvalidSignatureException')).toBe(true);
    expectNoPlaintext(result.stdout + result.stderr, allPlaintexts);
  });

  it("corrects this machine's clock from KMS's answer when KMS refuses the request's time, as the SDK does", async () => {
    kms.server().clockOffsetMs = 2 * 60 * 60 * 1000;
    kms.server().signingSecret = 'test-secret';
    try {
      const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint, { KMSECRET_CONCURRENCY: '4' }));
      expect(result.code, result.stderr).toBe(0);
      const refused = kms.server().calls.filter((c) => c.error === 'InvalidSignatureException');
      // Only calls sent before the first answer came back went out with the wrong time.
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(refused.length).toBeLessThanOrEqual(4);
      expect(kms.server().calls.filter((c) => c.status === 200)).toHaveLength(40);
      expect(decodeData(parseList(result.stdout).items[7] as Record<string, any>).KEY_3).toBe(plaintext(7, 3));
    } finally {
      kms.server().signingSecret = undefined;
    }
  });

  it('records the key ARN (not the alias) in the token, and names it to KMS', async () => {
    expect(fixtures[0]).toContain(Buffer.from(`{"keyId":"${keyArn}"`).toString('base64url').slice(0, 20));
    await runFn(resourceList(fixtures.slice(0, 1)), awsEnv(kms.server().endpoint));
    expect(kms.server().calls[0]?.keyArn).toBe(keyArn);
  });
});

describe('KMS faults are retried, then explained', () => {
  it('rides out a throttling storm, backing off', async () => {
    kms.server().faults = { throttleRate: 0.5, seed: 7 };
    const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint, { KMSECRET_MAX_ATTEMPTS: '12' }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(kms.server().count('Decrypt')).toBeGreaterThan(40);
  });

  it('lowers its concurrency when KMS throttles above a quota', async () => {
    kms.server().faults = { throttleAboveInFlight: 3, latencyMs: 20 };
    const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint, { KMSECRET_MAX_ATTEMPTS: '20', KMSECRET_CONCURRENCY: '32' }));
    expect(result.code, result.stderr).toBe(0);
    const throttled = kms.server().calls.filter((c) => c.error === 'ThrottlingException').length;
    // At a fixed 32, every round would throttle all but 3 of its requests: about 29 × 40/3 ≈ 380.
    expect(throttled).toBeLessThan(80);
  });

  it('retries 5xx answers and dropped connections', async () => {
    kms.server().faults = { error5xxFirst: 3, dropFirst: 3 };
    const result = await runFn(resourceList(fixtures.slice(0, 5)), awsEnv(kms.server().endpoint));
    expect(result.code, result.stderr).toBe(0);
    expect(kms.server().count('Decrypt')).toBeGreaterThan(5);
  });

  it('retries an answer that is not KMS speaking (a proxy page), then names the network path', async () => {
    kms.server().faults = { malformedFirst: 2 };
    const result = await runFn(resourceList(fixtures.slice(0, 3)), awsEnv(kms.server().endpoint));
    expect(result.code, result.stderr).toBe(0);
    expect(kms.server().calls.filter((c) => c.error === 'Malformed')).toHaveLength(2);
    kms.server().faults = { malformedFirst: 100 };
    const failed = await runFn(resourceList(fixtures.slice(0, 1)), awsEnv(kms.server().endpoint, { KMSECRET_MAX_ATTEMPTS: '2' }));
    expectFailure(failed, 5, /KMS did not answer kms:Decrypt .*\(MalformedAnswer\), 2 times.*\n.*hint: check the network path to KMS/);
    expectNoPlaintext(failed.stdout + failed.stderr, allPlaintexts);
  });

  it('never takes a garbled Plaintext for a data key: not base64, or not 32 bytes, is retried', async () => {
    for (const value of ['<html>proxy</html>', 'AAAA']) {
      kms.server().reset();
      kms.server().faults = { plaintextFirst: { count: 2, value } };
      const result = await runFn(resourceList(fixtures.slice(0, 3)), awsEnv(kms.server().endpoint));
      expect(result.code, result.stderr).toBe(0);
      expect(kms.server().count('Decrypt')).toBe(5);
      expect(decodeData(parseList(result.stdout).items[2] as Record<string, any>).KEY_9).toBe(plaintext(2, 9));
      kms.server().faults = { plaintextFirst: { count: 100, value } };
      const failed = await runFn(resourceList(fixtures.slice(0, 1)), awsEnv(kms.server().endpoint, { KMSECRET_MAX_ATTEMPTS: '2' }));
      expectFailure(failed, 5, /(no valid plaintext|a data key of 3 bytes, not 32), 2 times/);
      expectNoPlaintext(failed.stdout + failed.stderr, allPlaintexts);
    }
  });

  it('gives up on a throttle that never ends, saying what to change', async () => {
    kms.server().faults = { throttleRate: 1 };
    const result = await runFn(resourceList(fixtures.slice(0, 2)), awsEnv(kms.server().endpoint, { KMSECRET_MAX_ATTEMPTS: '3' }));
    expectFailure(result, 5, /aws: KMS throttled kms:Decrypt on .*, 3 times.*\n.*hint: lower KMSECRET_CONCURRENCY, or ask AWS for a higher KMS request quota/);
  });

  it('stops at the deadline when KMS hangs', async () => {
    kms.server().faults = { hangMs: 3_600_000 };
    const result = await runFn(resourceList(fixtures.slice(0, 3)), awsEnv(kms.server().endpoint, { KMSECRET_TIMEOUT: '1' }));
    expectFailure(result, 5, /did not answer within the deadline \(1 s\)/);
    expect(result.stderr.match(/deadline/g)?.length).toBe(1);
  });

  it('stops at the deadline when one call of many never comes back', async () => {
    kms.server().faults = { hangNth: 7 };
    const result = await runFn(resourceList(fixtures), awsEnv(kms.server().endpoint, { KMSECRET_TIMEOUT: '2', KMSECRET_CONCURRENCY: '4' }));
    expectFailure(result, 5, /did not answer within the deadline \(2 s\)/);
    expect(kms.server().calls[6]?.error).toBe('ClientClosed');
  });

  it('a repository cannot ask for a longer deadline than the pipeline allows', async () => {
    kms.server().faults = { hangMs: 3_600_000 };
    const config = 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\ntimeoutSeconds: 3600\n';
    const result = await runFn(resourceList(fixtures.slice(0, 1), config), awsEnv(kms.server().endpoint, { KMSECRET_TIMEOUT: '1' }));
    expectFailure(result, 5, /within the deadline \(1 s\)/);
  });

  it('fails cleanly when the server goes away in the middle of a render', async () => {
    const doomed = await startKmsServer();
    doomed.createKey({ alias: 'alias/team-a' });
    const docs = await secrets(doomed.endpoint, 'alias/team-a', 30);
    // The fifth Decrypt takes the server down with it: four are answered, the rest find nobody.
    doomed.faults = { closeAtRequest: 5 };
    const result = await runFn(resourceList(docs), awsEnv(doomed.endpoint, { KMSECRET_CONCURRENCY: '4', KMSECRET_MAX_ATTEMPTS: '3' }));
    expect(doomed.count('Decrypt')).toBe(5);
    expect(doomed.calls.filter((c) => c.op === 'Decrypt')[4]?.error).toBe('ServerClosed');
    expectFailure(result, 5, /KMS did not answer kms:Decrypt .*(ECONNREFUSED|ECONNRESET|socket hang up).*\n.*hint: check the network path to KMS/);
  });

  it('says so when the KMS endpoint name does not resolve', async () => {
    const result = await runFn(resourceList(fixtures.slice(0, 2)), awsEnv('http://kms.kmsecret-test.invalid', { KMSECRET_MAX_ATTEMPTS: '2' }));
    expectFailure(result, 5, /cannot resolve the KMS endpoint for kms:Decrypt .*\n.*hint: check AWS_REGION \/ AWS_ENDPOINT_URL_KMS and DNS/);
  });

  it('says KMS is unreachable when nothing listens', async () => {
    const result = await runFn(resourceList(fixtures.slice(0, 2)), awsEnv('http://127.0.0.1:9', { KMSECRET_MAX_ATTEMPTS: '2' }));
    expectFailure(result, 5, /KMS did not answer kms:Decrypt .*ECONNREFUSED.*\n.*hint: check the network path to KMS/);
  });
});

describe('KMS refusals name the resource, the key and the fix', () => {
  it('AccessDenied from a key policy that allows one namespace only', async () => {
    kms.server().policy = (req) => req.op !== 'Decrypt' || req.encryptionContext['kmsecret:namespace'] === 'team-b';
    const result = await runFn(resourceList(fixtures.slice(0, 1)), awsEnv(kms.server().endpoint));
    expectFailure(
      result,
      4,
      /KmsSecret team-a\/secret-0 data\.KEY_0: aws: AWS denied kms:Decrypt on arn:aws:kms:us-east-1:111122223333:key\/[-0-9a-f]+ \(and 9 more values sharing its data key\)\n.*hint: the role's IAM policy or the key policy/,
    );
  });

  it('no credentials at all', async () => {
    const env = awsEnv(kms.server().endpoint);
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const result = await runFn(resourceList(fixtures.slice(0, 3)), env);
    expectFailure(result, 4, /no AWS credentials for kms:Decrypt.*\n.*hint: give this process AWS credentials/);
    expect(result.stderr.match(/no AWS credentials/g)?.length).toBe(1);
  });

  it('a tampered data key', async () => {
    const token = fixtures[0]?.match(/KEY_0: (\S+)/)?.[1] as string;
    const fields = token.split(':');
    const tampered = fields.map((f, i) => (i === 4 ? `${f.slice(0, 60)}${f[60] === 'A' ? 'B' : 'A'}${f.slice(61)}` : f)).join(':');
    const result = await runFn(resourceList([(fixtures[0] as string).replace(token, tampered)]), awsEnv(kms.server().endpoint));
    expectFailure(result, 4, /KMS refused the data key/);
  });

  it('a disabled key', async () => {
    const other = kms.server().createKey({ alias: 'alias/disabled' });
    const [doc] = await secrets(kms.server().endpoint, other, 1);
    const client = new KMSClient({ endpoint: kms.server().endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await client.send(new DisableKeyCommand({ KeyId: other }));
    const result = await runFn(resourceList([doc as string]), awsEnv(kms.server().endpoint));
    expectFailure(result, 4, /KMS cannot use arn:.* \(DisabledException\)/);
  });
});

describeWith(['moto_server'], 'against moto', () => {
  let moto: Moto;
  let motoKey: string;
  beforeAll(async () => {
    moto = await startMoto();
    const client = new KMSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    motoKey = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
    await client.send(new CreateAliasCommand({ AliasName: 'alias/moto-team', TargetKeyId: motoKey }));
  });
  afterAll(() => {
    moto?.process.kill();
  });

  it('round-trips through a second, independent KMS implementation', async () => {
    const docs = await secrets(moto.endpoint, 'alias/moto-team', 3);
    const result = await runFn(resourceList(docs), awsEnv(moto.endpoint));
    expect(result.code, result.stderr).toBe(0);
    expect(decodeData(parseList(result.stdout).items[2] as Record<string, any>).KEY_9).toBe(plaintext(2, 9));
  });

  it('decrypts shush values made the way shush makes them, with and without a context', async () => {
    const client = new KMSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const encrypt = async (text: string, context?: Record<string, string>) =>
      Buffer.from(
        (await client.send(new EncryptCommand({ KeyId: 'alias/moto-team', Plaintext: new TextEncoder().encode(text), EncryptionContext: context })))
          .CiphertextBlob as Uint8Array,
      ).toString('base64');
    const deployment = (value: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\n  annotations:\n    kmsecret.dev/env-output: inline\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: KMS_ENCRYPTED_DB\n          value: ${value}\n`;
    const plain = await runFn(resourceList([deployment(await encrypt('moto-shush-plain'))]), awsEnv(moto.endpoint));
    expect(plain.code, plain.stderr).toBe(0);
    expect(parseList(plain.stdout).items[0]?.spec.template.spec.containers[0].env[0]).toEqual({ name: 'DB', value: 'moto-shush-plain' });
    const config = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  envContext: app=web\n';
    const withContext = await runFn(resourceList([deployment(await encrypt('moto-shush-ctx', { app: 'web' }))], config), awsEnv(moto.endpoint));
    expect(withContext.code, withContext.stderr).toBe(0);
    expect(parseList(withContext.stdout).items[0]?.spec.template.spec.containers[0].env[0].value).toBe('moto-shush-ctx');
  });

  it('refuses a token whose header was re-bound to another namespace (the KMS context no longer matches)', async () => {
    const [doc] = await secrets(moto.endpoint, motoKey, 1, 'team-b');
    // Rewrite every token's recorded binding to team-a and move the KmsSecret there:
    // the binding check passes, so only KMS's encryption context stands in the way.
    const rebound = (doc as string)
      .replace(/kmsecret:v2:aws:([A-Za-z0-9_-]+)/g, (_, header: string) => {
        const json = Buffer.from(header, 'base64url').toString().replace('"namespace":"team-b"', '"namespace":"team-a"');
        return `kmsecret:v2:aws:${Buffer.from(json).toString('base64url')}`;
      })
      .replace('namespace: team-b', 'namespace: team-a');
    const result = await runFn(resourceList([rebound]), awsEnv(moto.endpoint));
    expectFailure(result, 4, /KMS refused the data key/);
  });
});
