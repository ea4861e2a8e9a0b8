// The claims of docs/SECURITY.md about tenants, one test each (the document
// names them). Tenant A controls everything in its own repository — files,
// annotations, function config, kpt arguments, tokens it copies from
// elsewhere — but not the pipeline's environment. Tenant B's values live in
// team-b. Every attack runs through the real kmsecret-fn (and kpt where the
// attack is a kpt argument) against the KMS test server, which applies a key
// policy, and must fail closed: a non-zero exit, and no plaintext and no data
// key anywhere in stdout, stderr or results.
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { isTokenProblem, parseToken, type Token } from '../../functions/token/token.js';
import { envTokens, kmsSecretYaml, tokens } from '../helpers/fixtures.js';
import { keyPolicyHook } from '../helpers/iam-policy.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoBytes, expectNoPlaintext } from '../helpers/leaks.js';
import { binDir, readTree, writeFiles } from '../helpers/packages.js';
import { parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { run, runCli, runFn, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const kms = useKmsServer();
const bSecret = 'tenant-b-database-password';
const aSecret = 'tenant-a-api-token';

/** One shared key, as many organisations have; the key policy separates the tenants. */
const keyPolicy = {
  Statement: [
    {
      Effect: 'Allow' as const,
      Principal: { AWS: 'arn:aws:iam::111122223333:role/team-a-ci' },
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:EncryptionContext:kmsecret:namespace': 'team-a' } },
    },
    {
      Effect: 'Allow' as const,
      Principal: { AWS: 'arn:aws:iam::111122223333:role/team-b-ci' },
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:EncryptionContext:kmsecret:namespace': 'team-b' } },
    },
    // A shared renderer (Argo CD's repo-server): may decrypt everything; KMSECRET_NAMESPACES narrows each run.
    { Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::111122223333:role/argocd' }, Action: 'kms:Decrypt' },
    { Effect: 'Allow' as const, Principal: '*' as const, Action: ['kms:GenerateDataKey', 'kms:Encrypt'] },
  ],
};

let provider: AwsKmsProvider;
let bKmsSecret: string;
let bToken: Token;
/** B's data key, as KMS would hand it to whoever could unwrap it: it must appear nowhere. */
let bDataKey: Uint8Array;
let keyArn: string;
let otherKeyArn: string;
beforeAll(async () => {
  keyArn = kms.server().createKey({ alias: 'alias/shared' });
  otherKeyArn = kms.server().createKey({ alias: 'alias/other' });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: kms.server().endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'team-b-developer',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  provider = new AwsKmsProvider();
  bKmsSecret = await kmsSecretYaml(provider, 'alias/shared', { name: 'db', namespace: 'team-b', data: { PASSWORD: bSecret } });
  bToken = parseToken(/PASSWORD: (\S+)/.exec(bKmsSecret)?.[1] as string) as Token;
  expect(isTokenProblem(bToken)).toBe(false);
  const client = new KMSClient({});
  bDataKey = (
    await client.send(
      new DecryptCommand({
        CiphertextBlob: bToken.wrappedKey,
        EncryptionContext: { 'kmsecret:use': 'secret', 'kmsecret:scope': 'strict', 'kmsecret:namespace': 'team-b', 'kmsecret:name': 'db' },
      }),
    )
  ).Plaintext as Uint8Array;
});
beforeEach(() => {
  kms.server().reset();
  kms.server().policy = keyPolicyHook(keyPolicy);
});

const as = (role: string, extra: NodeJS.ProcessEnv = {}) => awsEnv(kms.server().endpoint, { AWS_ACCESS_KEY_ID: role, ...extra });

function refused(result: RunResult, message: RegExp): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.stderr).toMatch(message);
  expect(parseList(result.stdout).items).toEqual([]);
  expectNoPlaintext(result.stdout + result.stderr, [bSecret, aSecret]);
  expectNoBytes(result.stdout + result.stderr, [bDataKey]);
}

const transformer = (extra: string) => `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\n${extra}`;
const deployment = (namespace: string, env: Array<{ name: string; value: string }>, annotations: Record<string, string> = {}) =>
  yaml({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace, annotations },
    spec: { template: { spec: { containers: [{ name: 'app', image: 'x', env }] } } },
  });
/** B's wrapped data key, written as a shush value: base64 of the raw KMS ciphertext. */
const bBlob = () => Buffer.from(bToken.wrappedKey).toString('base64');
const bContext = 'kmsecret:use: secret\n    kmsecret:scope: strict\n    kmsecret:namespace: team-b\n    kmsecret:name: db\n';

describe("tenant A cannot obtain tenant B's plaintext", () => {
  it("by copying B's token into one of A's KmsSecrets (refused before any KMS call)", async () => {
    const token = /PASSWORD: (\S+)/.exec(bKmsSecret)?.[1] as string;
    const mine = yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'app', namespace: 'team-a' }, data: { PASSWORD: token } });
    refused(await runFn(resourceList([mine]), as('team-a-ci')), /was encrypted as a Secret value for namespace team-b, name db, key PASSWORD/);
    expect(kms.server().count()).toBe(0);
  });

  it("by copying B's whole KmsSecret, namespace and all, into A's repository (KMS says no to A's role)", async () => {
    refused(await runFn(resourceList([bKmsSecret]), as('team-a-ci')), /AWS denied kms:Decrypt/);
    expect(kms.server().calls[0]?.encryptionContext?.['kmsecret:namespace']).toBe('team-b');
  });

  it('… even where one role decrypts every tenant (Argo CD), when the pipeline sets KMSECRET_NAMESPACES', async () => {
    expect((await runFn(resourceList([bKmsSecret]), as('argocd'))).code).toBe(0);
    kms.server().reset();
    refused(
      await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_NAMESPACES: 'team-a' })),
      /bound to namespace team-b, which this run may not decrypt/,
    );
    expect(kms.server().count()).toBe(0);
  });

  it('… and an allowlist that is set but empty allows nothing ("", " ", ",")', async () => {
    for (const empty of ['', ' ', ',']) {
      refused(
        await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_NAMESPACES: empty })),
        /which this run may not decrypt \(KMSECRET_NAMESPACES=\(empty: no namespace\)\)/,
      );
    }
    expect(kms.server().count()).toBe(0);
  });

  it("by renaming B's KmsSecret or moving it to A's namespace", async () => {
    refused(
      await runFn(resourceList([bKmsSecret.replace('name: db', 'name: renamed')]), as('argocd')),
      /not as a Secret value for namespace team-b, name renamed/,
    );
    refused(
      await runFn(resourceList([bKmsSecret.replace('namespace: team-b', 'namespace: team-a')]), as('argocd')),
      /not as a Secret value for namespace team-a, name db/,
    );
  });

  it("by a hand-written previousNames annotation that claims B's name (kustomize's record is trusted only where its prefixes explain it)", async () => {
    const claimed = bKmsSecret.replace('name: db', 'name: stolen\n  annotations:\n    internal.config.kubernetes.io/previousNames: db');
    refused(await runFn(resourceList([claimed]), as('argocd')), /not as a Secret value for namespace team-b, name stolen/);
    const withPrefix = bKmsSecret.replace(
      'name: db',
      'name: stolen\n  annotations:\n    internal.config.kubernetes.io/previousNames: db\n    internal.config.kubernetes.io/prefixes: x-',
    );
    refused(await runFn(resourceList([withPrefix]), as('argocd')), /not as a Secret value for namespace team-b, name stolen/);
    expect(kms.server().count()).toBe(0);
  });

  it("by rewriting a token's header to claim A's namespace (the data key's KMS context still says team-b)", async () => {
    const rebound = bKmsSecret
      .replace(
        /kmsecret:v2:aws:([A-Za-z0-9_-]+)/g,
        (_, h: string) => `kmsecret:v2:aws:${Buffer.from(Buffer.from(h, 'base64url').toString().replace('"team-b"', '"team-a"')).toString('base64url')}`,
      )
      .replace('namespace: team-b', 'namespace: team-a');
    refused(await runFn(resourceList([rebound]), as('argocd')), /KMS refused the data key/);
  });

  it('by pointing the token, or the config, at another key or endpoint', async () => {
    const other = bKmsSecret.replace(
      /kmsecret:v2:aws:([A-Za-z0-9_-]+)/g,
      (_, h: string) => `kmsecret:v2:aws:${Buffer.from(Buffer.from(h, 'base64url').toString().replace(keyArn, otherKeyArn)).toString('base64url')}`,
    );
    refused(await runFn(resourceList([other]), as('argocd')), /was not encrypted under arn:.*, the key its token names/);
    refused(
      await runFn(resourceList([bKmsSecret], transformer('endpoint: http://attacker.example\n')), as('argocd')),
      /field endpoint is not a field of this kind/,
    );
  });
});

describe('a raw KMS ciphertext (a shush value) never yields a kmsecret data key', () => {
  it("B's wrapped data key as KMS_ENCRYPTED_ with B's context in A's KmsSecretTransformer: refused, before any KMS call", async () => {
    const workload = deployment('team-a', [{ name: 'KMS_ENCRYPTED_LOOT', value: bBlob() }]);
    const config = transformer(`env:\n  context:\n    ${bContext}`);
    for (const env of [as('argocd', { KMSECRET_NAMESPACES: 'team-a' }), as('argocd'), as('team-a-ci')]) {
      refused(await runFn(resourceList([workload], config), env), /env\.context may not hold keys starting with kmsecret:/);
    }
    expect(kms.server().count()).toBe(0);
  });

  it('… in any spelling of the context key (KMS condition keys are not case sensitive)', async () => {
    const config = transformer('env:\n  context:\n    KMSecret:namespace: team-b\n');
    refused(
      await runFn(resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_LOOT', value: bBlob() }])], config), as('argocd')),
      /env\.context may not hold keys starting with kmsecret:/,
    );
  });

  it("… and without B's context KMS cannot match it: the blob's context names kmsecret's own keys", async () => {
    const result = await runFn(resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_LOOT', value: bBlob() }])]), as('argocd'));
    refused(result, /KMS refused the shush value .*\(no encryption context\)/);
    expect(
      kms
        .server()
        .calls.filter((c) => c.op === 'Decrypt')
        .map((c) => c.status),
    ).toEqual([400]);
  });

  it("under KMSECRET_NAMESPACES, a shush value decrypts only with a context that binds the workload's namespace", async () => {
    const client = new KMSClient({
      endpoint: kms.server().endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'team-a-developer', secretAccessKey: 'x' },
    });
    const encrypt = async (value: string, context: Record<string, string>) =>
      Buffer.from(
        (await client.send(new EncryptCommand({ KeyId: 'alias/shared', Plaintext: new TextEncoder().encode(value), EncryptionContext: context })))
          .CiphertextBlob as Uint8Array,
      ).toString('base64');
    const bShush = await encrypt(bSecret, { namespace: 'team-b' });
    const aShush = await encrypt(aSecret, { namespace: 'team-a' });
    kms.server().reset();
    const allowA = as('argocd', { KMSECRET_NAMESPACES: 'team-a' });
    // B's value in A's workload, with B's context named: the context does not bind team-a.
    refused(
      await runFn(
        resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_X', value: bShush }])], transformer('env:\n  context:\n    namespace: team-b\n')),
        allowA,
      ),
      /container app variable KMS_ENCRYPTED_X is a shush value, which this run decrypts only with an encryption context that binds the workload's namespace \(namespace=team-a\)/,
    );
    // … or with no context: the same.
    refused(await runFn(resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_X', value: bShush }])]), allowA), /binds the workload's namespace/);
    expect(kms.server().count()).toBe(0);
    // … with A's context: KMS refuses B's blob.
    refused(
      await runFn(
        resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_X', value: bShush }])], transformer('env:\n  context:\n    namespace: team-a\n')),
        allowA,
      ),
      /KMS refused the shush value .*\{"namespace":"team-a"\}/,
    );
    // A's own shush value, with A's context: decrypted.
    const own = await runFn(
      resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_X', value: aShush }])], transformer('env:\n  context:\n    namespace: team-a\n')),
      allowA,
    );
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain(Buffer.from(aSecret).toString('base64'));
  });
});

describe('a value decrypts only as what it was written for', () => {
  it('a KmsSecret value copied inline into a Job or Deployment env of the same name: refused, before any KMS call', async () => {
    const t = await tokens(provider, 'alias/shared', { name: 'web', namespace: 'team-a', data: { TOKEN: aSecret } });
    kms.server().reset();
    for (const kind of ['Deployment', 'Job']) {
      const spec =
        kind === 'Job'
          ? { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'x', env: [{ name: 'TOKEN', value: t.TOKEN }] }] } } }
          : { template: { spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'TOKEN', value: t.TOKEN }] }] } } };
      const workload = yaml({
        apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
        kind,
        metadata: { name: 'web', namespace: 'team-a', annotations: { 'kmsecret.dev/env-output': 'inline' } },
        spec,
      });
      refused(
        await runFn(resourceList([workload]), as('team-a-ci')),
        /was encrypted as a Secret value for namespace team-a, name web, key TOKEN \(strict\), not as an env value[\s\S]*never decrypts into a workload/,
      );
    }
    expect(kms.server().count()).toBe(0);
  });

  it('an env value copied into a KmsSecret: refused', async () => {
    const t = await envTokens(provider, 'alias/shared', { workload: 'web', namespace: 'team-a', values: { TOKEN: aSecret } });
    kms.server().reset();
    const secret = yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'web', namespace: 'team-a' }, data: { TOKEN: t.TOKEN } });
    refused(await runFn(resourceList([secret]), as('team-a-ci')), /was encrypted as an env value/);
    expect(kms.server().count()).toBe(0);
  });

  it('gets nothing from a value moved to another key of the same Secret', async () => {
    const t = await tokens(provider, 'alias/shared', { name: 'app', namespace: 'team-a', data: { A: aSecret } });
    const swapped = yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'app', namespace: 'team-a' }, data: { B: t.A } });
    refused(await runFn(resourceList([swapped]), as('team-a-ci')), /key A \(strict\), not as a Secret value for namespace team-a, name app, key B/);
  });
});

describe('a repository cannot make the pipeline call KMS more, or elsewhere', () => {
  const many = async (n: number, namespace = 'team-a') =>
    Promise.all(Array.from({ length: n }, (_, i) => kmsSecretYaml(provider, 'alias/shared', { name: `s${i}`, namespace, data: { K: aSecret } })));

  it('at most KMSECRET_MAX_DATA_KEYS data keys a run, refused as a whole before the first call', async () => {
    const docs = await many(4);
    kms.server().reset();
    refused(
      await runFn(resourceList(docs), as('team-a-ci', { KMSECRET_MAX_DATA_KEYS: '3' })),
      /this run needs 4 data keys, more than KMSECRET_MAX_DATA_KEYS=3 allows; nothing was decrypted/,
    );
    expect(kms.server().count()).toBe(0);
    expect((await runFn(resourceList(docs), as('team-a-ci', { KMSECRET_MAX_DATA_KEYS: '4' }))).code).toBe(0);
  });

  it('stops after a handful of refused data keys instead of asking for every one', async () => {
    const docs = await many(20, 'team-b');
    kms.server().reset();
    refused(
      await runFn(resourceList(docs), as('team-a-ci', { KMSECRET_CONCURRENCY: '1' })),
      /AWS denied kms:Decrypt[\s\S]*15 more data keys were not unwrapped/,
    );
    expect(kms.server().count('Decrypt')).toBe(5);
  });

  it('KMSECRET_KMS_KEYS: a token naming a key outside the list is refused before any call; a listed account or key passes', async () => {
    refused(
      await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_KMS_KEYS: '444455556666' })),
      /the token names the key arn:aws:kms:us-east-1:111122223333:key\/\S+, which is not in KMSECRET_KMS_KEYS/,
    );
    refused(await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_KMS_KEYS: '' })), /not in KMSECRET_KMS_KEYS/);
    expect(kms.server().count()).toBe(0);
    expect((await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_KMS_KEYS: '111122223333' }))).code).toBe(0);
    expect((await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_KMS_KEYS: keyArn }))).code).toBe(0);
    refused(await runFn(resourceList([bKmsSecret]), as('argocd', { KMSECRET_KMS_KEYS: otherKeyArn })), /not in KMSECRET_KMS_KEYS/);
  });

  it('KMSECRET_KMS_KEYS: a shush value under a key outside the list is refused, and its answer discarded', async () => {
    const client = new KMSClient({
      endpoint: kms.server().endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'team-a-developer', secretAccessKey: 'x' },
    });
    const blob = Buffer.from(
      (await client.send(new EncryptCommand({ KeyId: 'alias/other', Plaintext: new TextEncoder().encode(aSecret) }))).CiphertextBlob as Uint8Array,
    ).toString('base64');
    refused(
      await runFn(resourceList([deployment('team-a', [{ name: 'KMS_ENCRYPTED_X', value: blob }])]), as('argocd', { KMSECRET_KMS_KEYS: keyArn })),
      /the value was encrypted under the key arn:\S+, which is not in KMSECRET_KMS_KEYS: this pipeline does not use it \(the answer was discarded\)/,
    );
  });
});

describe("a key id in a token is not the pipeline's or the developer's word", () => {
  it("set seals a new value only for a key KMS has verified against the file's data key, or the one you name", async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tempDir(), 'repoint-'));
    const mine = await kmsSecretYaml(provider, 'alias/shared', { name: 'app', namespace: 'team-a', data: { A: aSecret } });
    // The pull request re-points every header at a key its author controls.
    const file = join(dir, 'app.kmsecret.yaml');
    writeFileSync(
      file,
      mine.replace(
        /kmsecret:v2:aws:([A-Za-z0-9_-]+)/g,
        (_, h: string) => `kmsecret:v2:aws:${Buffer.from(Buffer.from(h, 'base64url').toString().replace(keyArn, otherKeyArn)).toString('base64url')}`,
      ),
    );
    kms.server().reset();
    const developer = as('team-a-ci', { HOME: dir });
    const set = await runCli(['set', file, 'STRIPE_KEY=sk_live_value'], { env: developer, stdin: '' });
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/the key its tokens name could not be verified/);
    expect(kms.server().count('GenerateDataKey')).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/sk_live/);
  });
});

describeWith(['kpt'], 'kpt function arguments are the repository too', () => {
  it("envContext= naming B's context is refused, and kpt writes nothing", async () => {
    const root = tempDir();
    const pkg = `${root}/pkg`;
    writeFiles(pkg, {
      Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n',
      'web.yaml': deployment('team-a', [{ name: 'KMS_ENCRYPTED_LOOT', value: bBlob() }]),
    });
    const before = readTree(pkg);
    const env = as('argocd', { KMSECRET_NAMESPACES: 'team-a', PATH: `${binDir(root)}:${process.env.PATH}` });
    const result = await run(
      'kpt',
      [
        'fn',
        'eval',
        pkg,
        '--exec',
        'kmsecret-fn',
        '-o',
        'stdout',
        '--truncate-output=false',
        '--',
        'envContext=kmsecret:use=secret,kmsecret:scope=strict,kmsecret:namespace=team-b,kmsecret:name=db',
      ],
      { env, cwd: root },
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/env\.context may not hold keys starting with kmsecret:/);
    expectNoPlaintext(result.stdout + result.stderr, [bSecret]);
    expectNoBytes(result.stdout + result.stderr, [bDataKey]);
    expect(readTree(pkg)).toEqual(before);
    expect(kms.server().count()).toBe(0);
  });
});

describe("A's own CI role", () => {
  it("decrypts A's values, with exactly the context its key policy names", async () => {
    const mine = await kmsSecretYaml(provider, 'alias/shared', { name: 'app', namespace: 'team-a', data: { TOKEN: aSecret } });
    kms.server().reset();
    const result = await runFn(resourceList([mine]), as('team-a-ci'));
    expect(result.code, result.stderr).toBe(0);
    expect(
      kms
        .server()
        .calls.filter((c) => c.op === 'Decrypt')
        .map((c) => [c.principal, c.encryptionContext]),
    ).toEqual([['team-a-ci', { 'kmsecret:use': 'secret', 'kmsecret:scope': 'strict', 'kmsecret:namespace': 'team-a', 'kmsecret:name': 'app' }]]);
  });
});
