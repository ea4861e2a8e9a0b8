// The claims of docs/SECURITY.md, one test each (the document names them).
// Tenant A has write access to its own repository and a CI role that may
// decrypt namespace team-a only; tenant B's values live in team-b.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { kmsSecretYaml, tokens } from '../helpers/fixtures.js';
import { keyPolicyHook } from '../helpers/iam-policy.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { runFn, type RunResult } from '../helpers/run.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const kms = useKmsServer();
const bSecret = 'tenant-b-database-password';
const aSecret = 'tenant-a-api-token';

/** One shared key, as many organisations have; the key policy separates the tenants. */
const keyPolicy = {
  Statement: [
    { Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::111122223333:role/team-a-ci' }, Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:EncryptionContext:kmsecret:namespace': 'team-a' } } },
    { Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::111122223333:role/team-b-ci' }, Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:EncryptionContext:kmsecret:namespace': 'team-b' } } },
    { Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::111122223333:role/argocd' }, Action: 'kms:Decrypt' },
    { Effect: 'Allow' as const, Principal: '*' as const, Action: ['kms:GenerateDataKey', 'kms:Encrypt'] },
  ],
};

let provider: AwsKmsProvider;
let bKmsSecret: string;
let keyArn: string;
let otherKeyArn: string;
beforeAll(async () => {
  keyArn = kms.server().createKey({ alias: 'alias/shared' });
  otherKeyArn = kms.server().createKey({ alias: 'alias/other' });
  Object.assign(process.env, { AWS_ENDPOINT_URL_KMS: kms.server().endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'team-b-developer', AWS_SECRET_ACCESS_KEY: 'x' });
  provider = new AwsKmsProvider();
  bKmsSecret = await kmsSecretYaml(provider, 'alias/shared', { name: 'db', namespace: 'team-b', data: { PASSWORD: bSecret } });
});
beforeEach(() => {
  kms.server().reset();
  kms.server().policy = keyPolicyHook(keyPolicy);
});

const as = (role: string, extra: NodeJS.ProcessEnv = {}) => awsEnv(kms.server().endpoint, { AWS_ACCESS_KEY_ID: role, ...extra });

function refused(result: RunResult, message: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(message);
  expect(parseList(result.stdout).items).toEqual([]);
  expectNoPlaintext(result.stdout + result.stderr, [bSecret, aSecret]);
}

describe('tenant A cannot obtain tenant B\'s plaintext', () => {
  it('by copying B\'s token into one of A\'s KmsSecrets (refused before any KMS call)', async () => {
    const token = /PASSWORD: (\S+)/.exec(bKmsSecret)?.[1] as string;
    const mine = yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'app', namespace: 'team-a' }, data: { PASSWORD: token } });
    refused(await runFn(resourceList([mine]), as('team-a-ci')), /was encrypted for namespace team-b, name db, key PASSWORD/);
    expect(kms.server().count()).toBe(0);
  });

  it('by copying B\'s whole KmsSecret, namespace and all, into A\'s repository (KMS says no to A\'s role)', async () => {
    refused(await runFn(resourceList([bKmsSecret]), as('team-a-ci')), /AWS denied kms:Decrypt/);
    expect(kms.server().calls[0]?.encryptionContext?.['kmsecret:namespace']).toBe('team-b');
  });

  it('… even where one role decrypts every tenant (Argo CD), when the pipeline sets KMSECRET_NAMESPACES', async () => {
    expect((await runFn(resourceList([bKmsSecret]), as('argocd'))).code).toBe(0);
    refused(await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_NAMESPACES: 'team-a' })), /bound to namespace team-b, which this run may not decrypt/);
    expect(kms.server().count()).toBe(1);
  });

  it('by renaming B\'s KmsSecret or moving it to A\'s namespace', async () => {
    refused(await runFn(resourceList([bKmsSecret.replace('name: db', 'name: renamed')]), as('argocd')), /not for namespace team-b, name renamed/);
    refused(await runFn(resourceList([bKmsSecret.replace('namespace: team-b', 'namespace: team-a')]), as('argocd')), /not for namespace team-a, name db/);
  });

  it('by rewriting a token\'s header to claim A\'s namespace (the data key\'s KMS context still says team-b)', async () => {
    const rebound = bKmsSecret
      .replace(/kmsecret:v1:aws:([A-Za-z0-9_-]+)/g, (_, h: string) => `kmsecret:v1:aws:${Buffer.from(Buffer.from(h, 'base64url').toString().replace('"team-b"', '"team-a"')).toString('base64url')}`)
      .replace('namespace: team-b', 'namespace: team-a');
    refused(await runFn(resourceList([rebound]), as('argocd')), /KMS refused the data key/);
  });

  it('by pointing the token, or the config, at another key or endpoint', async () => {
    const other = bKmsSecret.replace(/kmsecret:v1:aws:([A-Za-z0-9_-]+)/g, (_, h: string) => `kmsecret:v1:aws:${Buffer.from(Buffer.from(h, 'base64url').toString().replace(keyArn, otherKeyArn)).toString('base64url')}`);
    refused(await runFn(resourceList([other]), as('argocd')), /was not encrypted under arn:.*, the key its token names/);
    const config = 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\nendpoint: http://attacker.example\n';
    refused(await runFn(resourceList([bKmsSecret], config), as('argocd')), /field endpoint is not a field of this kind/);
  });
});

describe('A\'s own CI role', () => {
  it('decrypts A\'s values, with exactly the context its key policy names', async () => {
    const mine = await kmsSecretYaml(provider, 'alias/shared', { name: 'app', namespace: 'team-a', data: { TOKEN: aSecret } });
    const result = await runFn(resourceList([mine]), as('team-a-ci'));
    expect(result.code, result.stderr).toBe(0);
    expect(kms.server().calls.filter((c) => c.op === 'Decrypt').map((c) => [c.principal, c.encryptionContext])).toEqual([['team-a-ci', { 'kmsecret:scope': 'strict', 'kmsecret:namespace': 'team-a', 'kmsecret:name': 'app' }]]);
  });

  it('gets nothing from a value moved to another key of the same Secret', async () => {
    const t = await tokens(provider, 'alias/shared', { name: 'app', namespace: 'team-a', data: { A: aSecret } });
    const swapped = yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'app', namespace: 'team-a' }, data: { B: t.A } });
    refused(await runFn(resourceList([swapped]), as('team-a-ci')), /key A \(strict\), not for namespace team-a, name app, key B/);
  });
});
