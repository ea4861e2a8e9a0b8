// Encrypted values in container env: tokens (kmsecret encrypt-value) and
// shush's KMS_ENCRYPTED_ values, in every pod-bearing kind, in both outputs.
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { ageKey, type AgeKey, kmsSecretYaml, sealerFor } from '../helpers/fixtures.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { tempDir } from '../helpers/tmp.js';
import { cleanEnv, runCli, runFn, type RunResult } from '../helpers/run.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const kms = useKmsServer();
type Doc = Record<string, any>;

let key: AgeKey;
beforeAll(async () => {
  key = await ageKey();
});
beforeEach(() => kms.server().reset());

/** Tokens for one workload's variables, under one data key. */
async function envTokens(namespace: string, workload: string, values: Record<string, string>): Promise<Record<string, string>> {
  const sealer = await sealerFor(key.provider, key.recipient, { use: 'env', scope: 'strict', namespace, name: workload });
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sealer.seal(k, new TextEncoder().encode(v))]));
}

/** What shush writes: a KMS Encrypt of the raw value, base64. */
async function shushEncrypt(endpoint: string, keyId: string, value: string, context?: Record<string, string>): Promise<string> {
  const client = new KMSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDKMSECRETTEST', secretAccessKey: 'x' } });
  const out = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new TextEncoder().encode(value), EncryptionContext: context }));
  return Buffer.from(out.CiphertextBlob as Uint8Array).toString('base64');
}

const podSpec = (env: Array<Record<string, string>>) => ({
  initContainers: [{ name: 'init', image: 'busybox', env: env.slice(0, 1) }],
  containers: [{ name: 'app', image: 'nginx', env: [{ name: 'PLAIN', value: 'not-secret' }, ...env] }],
  ephemeralContainers: [{ name: 'debug', image: 'busybox', env: env.slice(-1) }],
});

function workload(kind: string, name: string, env: Array<Record<string, string>>, annotations?: Record<string, string>): Doc {
  const metadata: Doc = { name, namespace: 'team-a', ...(annotations ? { annotations } : {}) };
  const template = { metadata: { labels: { app: name } }, spec: podSpec(env) };
  switch (kind) {
    case 'Pod':
      return { apiVersion: 'v1', kind, metadata, spec: podSpec(env) };
    case 'PodTemplate':
      return { apiVersion: 'v1', kind, metadata, template };
    case 'CronJob':
      return { apiVersion: 'batch/v1', kind, metadata, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } } } };
    case 'Job':
      return { apiVersion: 'batch/v1', kind, metadata, spec: { template } };
    default:
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector: { matchLabels: { app: name } }, template } };
  }
}

const podSpecOf = (doc: Doc): Doc =>
  doc.kind === 'Pod'
    ? doc.spec
    : doc.kind === 'PodTemplate'
      ? doc.template.spec
      : doc.kind === 'CronJob'
        ? doc.spec.jobTemplate.spec.template.spec
        : doc.spec.template.spec;

function expectFailure(result: RunResult, message: RegExp, plaintexts: string[]): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.stderr).toMatch(message);
  expect(parseList(result.stdout).items).toEqual([]);
  expectNoPlaintext(result.stdout + result.stderr, plaintexts);
}

const kinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'PodTemplate'];
const values = { ACCESS_TOKEN: 'env-t0ken-value', DB_PASSWORD: 'env-db-passw0rd' };

describe.each(kinds)('%s', (kind) => {
  it('secretRef (the default): env becomes secretKeyRef to a Secret generated for the workload; no plaintext in the spec', async () => {
    const t = await envTokens('team-a', 'web', values);
    const doc = workload(kind, 'web', [
      { name: 'ACCESS_TOKEN', value: t.ACCESS_TOKEN as string },
      { name: 'DB_PASSWORD', value: t.DB_PASSWORD as string },
    ]);
    const result = await runFn(resourceList([yaml(doc)]), cleanEnv(key.env));
    expect(result.code, result.stderr).toBe(0);
    const [out, secret] = parseList(result.stdout).items as [Doc, Doc];
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata.name).toMatch(/^web-env-[0-9a-f]{10}$/);
    expect(secret.metadata.namespace).toBe('team-a');
    const spec = podSpecOf(out);
    expect(spec.containers[0].env[0]).toEqual({ name: 'PLAIN', value: 'not-secret' });
    expect(spec.containers[0].env[1]).toEqual({ name: 'ACCESS_TOKEN', valueFrom: { secretKeyRef: { name: secret.metadata.name, key: 'app.ACCESS_TOKEN' } } });
    expect(spec.initContainers[0].env[0].valueFrom.secretKeyRef.key).toBe('init.ACCESS_TOKEN');
    expect(spec.ephemeralContainers[0].env[0].valueFrom.secretKeyRef.key).toBe('debug.DB_PASSWORD');
    expect(decodeData(secret)).toEqual({
      'init.ACCESS_TOKEN': values.ACCESS_TOKEN,
      'app.ACCESS_TOKEN': values.ACCESS_TOKEN,
      'app.DB_PASSWORD': values.DB_PASSWORD,
      'debug.DB_PASSWORD': values.DB_PASSWORD,
    });
    expectNoPlaintext(yaml(out), Object.values(values), 'the workload');
    expect(result.stdout).not.toMatch(/kmsecret:v[0-9]/);
  });

  it('inline: the env value becomes the plaintext, and nothing else changes', async () => {
    const t = await envTokens('team-a', 'web', values);
    const doc = workload(kind, 'web', [{ name: 'ACCESS_TOKEN', value: t.ACCESS_TOKEN as string }], { 'kmsecret.dev/env-output': 'inline' });
    const result = await runFn(resourceList([yaml(doc)]), cleanEnv(key.env));
    expect(result.code, result.stderr).toBe(0);
    const items = parseList(result.stdout).items;
    expect(items).toHaveLength(1);
    const spec = podSpecOf(items[0] as Doc);
    expect(spec.containers[0].env).toEqual([
      { name: 'PLAIN', value: 'not-secret' },
      { name: 'ACCESS_TOKEN', value: values.ACCESS_TOKEN },
    ]);
    expect(spec.initContainers[0].env[0]).toEqual({ name: 'ACCESS_TOKEN', value: values.ACCESS_TOKEN });
  });
});

describe('the output mode', () => {
  const deployment = async (annotations?: Record<string, string>) => {
    const t = await envTokens('team-a', 'web', values);
    return yaml(workload('Deployment', 'web', [{ name: 'ACCESS_TOKEN', value: t.ACCESS_TOKEN as string }], annotations));
  };

  it('comes from the function config, and a workload annotation overrides it', async () => {
    const config = 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\nenv:\n  output: inline\n';
    const inline = await runFn(resourceList([await deployment()], config), cleanEnv(key.env));
    expect(parseList(inline.stdout).items).toHaveLength(1);
    const overridden = await runFn(resourceList([await deployment({ 'kmsecret.dev/env-output': 'secretRef' })], config), cleanEnv(key.env));
    expect(parseList(overridden.stdout).items).toHaveLength(2);
    const bad = await runFn(resourceList([await deployment({ 'kmsecret.dev/env-output': 'plaintext' })]), cleanEnv(key.env));
    expectFailure(bad, /annotation kmsecret\.dev\/env-output must be secretRef or inline\n(?!kmsecret: .*stray)/, Object.values(values));
  });

  it('changes the pod template whenever a value changes (the Secret name is a hash of the ciphertexts)', async () => {
    const one = await runFn(resourceList([await deployment()]), cleanEnv(key.env));
    const two = await runFn(resourceList([await deployment()]), cleanEnv(key.env));
    const name = (r: RunResult) => (parseList(r.stdout).items[1] as Doc).metadata.name as string;
    expect(name(one)).not.toBe(name(two));
    const again = await runFn(resourceList([yaml(parseList(resourceList([await deployment()])).items[0] as Doc)]), cleanEnv(key.env));
    expect(name(again)).toMatch(/^web-env-/);
  });

  it('refuses to replace a Secret that already has the generated name', async () => {
    const text = await deployment();
    const first = await runFn(resourceList([text]), cleanEnv(key.env));
    const generated = (parseList(first.stdout).items[1] as Doc).metadata.name as string;
    const clash = yaml({ apiVersion: 'v1', kind: 'Secret', metadata: { name: generated, namespace: 'team-a' }, data: {} });
    // However its kind is spelled: JSON style, an escape, a tag and an anchor, a block scalar.
    const json = `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "${generated}", "namespace": "team-a"}}\n`;
    const escaped = clash.replace('kind: Secret', 'kind: "S\\x65cret"');
    const tagged = clash.replace('kind: Secret', 'kind: !!str &k Secret');
    const folded = clash.replace('kind: Secret', 'kind: >-\n  Secret');
    for (const existing of [clash, json, escaped, tagged, folded]) {
      expectFailure(
        await runFn(resourceList([text, existing]), cleanEnv(key.env)),
        /the Secret generated for this workload's env, web-env-[0-9a-f]+, already exists/,
        Object.values(values),
      );
    }
  });

  it('handles custom kinds at configured pod spec paths (an Argo Rollout)', async () => {
    const t = await envTokens('team-a', 'canary', values);
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'canary', namespace: 'team-a' },
      spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'ACCESS_TOKEN', value: t.ACCESS_TOKEN }] }] } } },
    };
    const config = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  envFieldPaths: Rollout=spec.template.spec\n  envOutput: inline\n';
    const result = await runFn(resourceList([yaml(rollout)], config), cleanEnv(key.env));
    expect(result.code, result.stderr).toBe(0);
    expect((parseList(result.stdout).items[0] as Doc).spec.template.spec.containers[0].env[0].value).toBe(values.ACCESS_TOKEN);
    const unconfigured = await runFn(resourceList([yaml(rollout)]), cleanEnv(key.env));
    expectFailure(
      unconfigured,
      /Rollout team-a\/canary spec\.template\.spec\.containers\[0\]\.env\[0\]\.value: holds a kmsecret token where kmsecret-fn does not decrypt/,
      Object.values(values),
    );
  });

  it("a field path given for every kind visits a built-in kind's pod spec once, not twice", async () => {
    const t = await envTokens('team-a', 'web', values);
    const deployment = workload('Deployment', 'web', [{ name: 'ACCESS_TOKEN', value: t.ACCESS_TOKEN as string }]);
    for (const output of ['secretRef', 'inline']) {
      const config = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  envFieldPaths: spec.template.spec\n  envOutput: ${output}\n`;
      const result = await runFn(resourceList([yaml(deployment)], config), cleanEnv(key.env));
      expect(result.code, result.stderr).toBe(0);
      const items = parseList(result.stdout).items as Doc[];
      const env = podSpecOf(items[0] as Doc).containers[0].env[1];
      if (output === 'inline') expect(env).toEqual({ name: 'ACCESS_TOKEN', value: values.ACCESS_TOKEN });
      else expect(decodeData(items[1] as Doc)[env.valueFrom.secretKeyRef.key]).toBe(values.ACCESS_TOKEN);
    }
  });

  it('passes a workload with no encrypted value through byte for byte', async () => {
    const plain =
      '# untouched\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: plain # keep\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - {name: A, value: "0755"}\n';
    const input = resourceList([plain]);
    const result = await runFn(input, cleanEnv(key.env));
    expect(result.stdout).toBe(input);
  });
});

describe('binding', () => {
  it('an env token copied into another workload or variable fails, naming both', async () => {
    const t = await envTokens('team-a', 'web', values);
    const other = workload('Deployment', 'api', [{ name: 'ACCESS_TOKEN', value: t.ACCESS_TOKEN as string }]);
    expectFailure(
      await runFn(resourceList([yaml(other)]), cleanEnv(key.env)),
      /Deployment team-a\/api spec\.template\.spec\.containers\[0\]\.env\[1\]\.value: value was encrypted as an env value for namespace team-a, workload web, variable ACCESS_TOKEN \(strict\), not as an env value for namespace team-a, workload api, variable ACCESS_TOKEN/,
      Object.values(values),
    );
    const renamed = workload('Deployment', 'web', [{ name: 'OTHER_VAR', value: t.ACCESS_TOKEN as string }]);
    expectFailure(
      await runFn(resourceList([yaml(renamed)]), cleanEnv(key.env)),
      /variable ACCESS_TOKEN \(strict\), not as an env value for namespace team-a, workload web, variable OTHER_VAR/,
      Object.values(values),
    );
  });
});

describe('shush values (KMS_ENCRYPTED_ prefix, raw KMS ciphertexts)', () => {
  let keyArn: string;
  beforeAll(() => {
    keyArn = kms.server().createKey({ alias: 'alias/shush' });
  });

  it('become the variable without the prefix, with and without an encryption context', async () => {
    const plain = await shushEncrypt(kms.server().endpoint, 'alias/shush', 'shush-db-pass');
    const withContext = await shushEncrypt(kms.server().endpoint, keyArn, 'shush-api-key', { app: 'web', env: 'prod' });
    const doc = workload('Deployment', 'web', [{ name: 'KMS_ENCRYPTED_DB_PASSWORD', value: plain }], { 'kmsecret.dev/env-output': 'inline' });
    const result = await runFn(resourceList([yaml(doc)]), awsEnv(kms.server().endpoint));
    expect(result.code, result.stderr).toBe(0);
    expect(podSpecOf(parseList(result.stdout).items[0] as Doc).containers[0].env[1]).toEqual({ name: 'DB_PASSWORD', value: 'shush-db-pass' });

    const config =
      'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\nenv:\n  prefixes: [ENCRYPT_]\n  context: {app: web, env: prod}\n';
    const ctxDoc = workload('Deployment', 'web', [{ name: 'ENCRYPT_API_KEY', value: withContext }]);
    const ctx = await runFn(resourceList([yaml(ctxDoc)], config), awsEnv(kms.server().endpoint));
    expect(ctx.code, ctx.stderr).toBe(0);
    const [out, secret] = parseList(ctx.stdout).items as [Doc, Doc];
    expect(podSpecOf(out).containers[0].env[1]).toEqual({ name: 'API_KEY', valueFrom: { secretKeyRef: { name: secret.metadata.name, key: 'app.API_KEY' } } });
    expect(decodeData(secret)['app.API_KEY']).toBe('shush-api-key');
    expect(
      kms
        .server()
        .calls.filter((c) => c.op === 'Decrypt')
        .map((c) => c.encryptionContext),
    ).toContainEqual({ app: 'web', env: 'prod' });

    const wrongContext = await runFn(resourceList([yaml(ctxDoc)], config.replace('env: prod', 'env: dev')), awsEnv(kms.server().endpoint));
    expectFailure(
      wrongContext,
      /KMS refused the shush value .*another context than this render gives it \(the encryption context \{"app":"web","env":"dev"\}\)/,
      ['shush-api-key'],
    );
  });

  it('refuses the prefixed and the plain name both set, and values that are not ciphertexts', async () => {
    const blob = await shushEncrypt(kms.server().endpoint, 'alias/shush', 'shush-x');
    const both = workload('Deployment', 'web', [
      { name: 'KMS_ENCRYPTED_X', value: blob },
      { name: 'X', value: 'plain' },
    ]);
    expectFailure(await runFn(resourceList([yaml(both)]), awsEnv(kms.server().endpoint)), /container app variable KMS_ENCRYPTED_X and X are both set/, [
      'shush-x',
    ]);
    const notBase64 = workload('Deployment', 'web', [{ name: 'KMS_ENCRYPTED_Y', value: 'not base64!' }]);
    expectFailure(
      await runFn(resourceList([yaml(notBase64)]), awsEnv(kms.server().endpoint)),
      /has the shush prefix KMS_ENCRYPTED_ but its value is not a base64 KMS ciphertext\n\s+hint: set env\.prefixes/,
      [],
    );
    const off = await runFn(
      resourceList([yaml(notBase64)], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  envPrefixes: ""\n'),
      awsEnv(kms.server().endpoint),
    );
    expect(off.code, off.stderr).toBe(0);
  });

  it('placeholder mode shows where each value belongs', async () => {
    const blob = await shushEncrypt(kms.server().endpoint, 'alias/shush', 'shush-z');
    const doc = workload('Deployment', 'web', [{ name: 'KMS_ENCRYPTED_Z', value: blob }], { 'kmsecret.dev/env-output': 'inline' });
    const result = await runFn(resourceList([yaml(doc)]), cleanEnv({ KMSECRET_PLACEHOLDER: '1' }));
    expect(result.code, result.stderr).toBe(0);
    const out = parseList(result.stdout).items[0] as Doc;
    expect(podSpecOf(out).containers[0].env[1]).toEqual({ name: 'Z', value: 'kmsecret-placeholder:team-a/web/Z' });
    expect(out.metadata.annotations['kmsecret.dev/placeholder']).toBe('true');
  });
});

describe('one batch for the whole ResourceList', () => {
  it('KmsSecrets, env tokens and shush values: one provider call per distinct data key or ciphertext', async () => {
    kms.server().createKey({ alias: 'alias/batch' });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_KMS: kms.server().endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDKMSECRETTEST',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
    const aws = new AwsKmsProvider();
    const secrets = await Promise.all(
      [0, 1, 2].map((i) => kmsSecretYaml(aws, 'alias/batch', { name: `s${i}`, namespace: 'team-a', data: { A: `a${i}`, B: `b${i}` } })),
    );
    const sealer = await sealerFor(aws, 'alias/batch', { use: 'env', scope: 'strict', namespace: 'team-a', name: 'web' });
    const blob = await shushEncrypt(kms.server().endpoint, 'alias/batch', 'shush-batch');
    const deploy = workload('Deployment', 'web', [
      { name: 'T1', value: sealer.seal('T1', new TextEncoder().encode('t1')) },
      { name: 'T2', value: sealer.seal('T2', new TextEncoder().encode('t2')) },
      { name: 'KMS_ENCRYPTED_S', value: blob },
    ]);
    kms.server().reset();
    const result = await runFn(resourceList([...secrets, yaml(deploy)]), awsEnv(kms.server().endpoint));
    expect(result.code, result.stderr).toBe(0);
    // 3 KmsSecrets + 1 data key shared by the env tokens + 1 shush ciphertext (repeated in 2 containers: asked once)
    expect(kms.server().count('Decrypt')).toBe(5);
  });
});

describe('kmsecret encrypt-value', () => {
  it('reads the value from stdin and prints a token bound to the workload and variable', async () => {
    const result = await runCli(['encrypt-value', '--key', key.recipient, '-n', 'team-a', '--workload', 'web', '--env', 'ACCESS_TOKEN'], {
      stdin: 'from-stdin',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^kmsecret:v2:age:\S+\n$/);
    const doc = workload('Deployment', 'web', [{ name: 'ACCESS_TOKEN', value: result.stdout.trim() }], { 'kmsecret.dev/env-output': 'inline' });
    const rendered = await runFn(resourceList([yaml(doc)]), cleanEnv(key.env));
    expect(podSpecOf(parseList(rendered.stdout).items[0] as Doc).containers[0].env[1].value).toBe('from-stdin');
  });

  const envFileDir = tempDir();
  it('encrypts a whole env file under one data key, as env entries to paste', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = envFileDir;
    writeFileSync(`${dir}/app.env`, 'A=1\nB=2\n');
    const result = await runCli(['encrypt-value', '--key', key.recipient, '-n', 'team-a', '--workload', 'web', '--from-env-file', `${dir}/app.env`]);
    expect(result.code, result.stderr).toBe(0);
    const entries = parseList(`items:\n${result.stdout}`).items as Array<{ name: string; value: string }>;
    expect(entries.map((e) => e.name)).toEqual(['A', 'B']);
    expect(entries[0]?.value.split(':')[4]).toBe(entries[1]?.value.split(':')[4]);
  });

  it('insists on the workload and never takes the value from argv', async () => {
    const noWorkload = await runCli(['encrypt-value', '--key', key.recipient, '-n', 'team-a', '--env', 'X'], { stdin: 'v' });
    expect(noWorkload.code).toBe(2);
    expect(noWorkload.stderr).toMatch(/--workload is required/);
    const argv = await runCli(['encrypt-value', '--key', key.recipient, '-n', 'team-a', '--workload', 'w', '--env', 'X', 'the-secret']);
    expect(argv.code).toBe(2);
    expectNoPlaintext(argv.stderr, ['the-secret']);
  });
});
