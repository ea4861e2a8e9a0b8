// The examples/ folders, rendered for real. The AWS examples' committed
// KmsSecrets are encrypted under the example keys of the test KMS server.
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startKmsServer, type KmsTestServer } from '../kms-server/server.js';
import { createExampleKeys, exampleAccount, exampleRegion } from '../helpers/example-keys.js';
import { keyPolicyHook } from '../helpers/iam-policy.js';
import { awsEnv } from '../helpers/kms.js';
import { binDir } from '../helpers/packages.js';
import { decodeData, parseList } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run, runCli } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';
import { afterAll } from 'vitest';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';

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
function shims(): string {
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'kmsecret'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'dist', 'kmsecret.mjs')}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'kustomize'), '#!/bin/sh\n[ "$1" = build ] && shift\nexec kubectl kustomize "$@"\n', { mode: 0o755 });
  return bin;
}

describeWith(['kubectl'], 'examples/github-actions', () => {
  const dir = join(examples, 'github-actions');
  const workflow = parse(readFileSync(join(dir, 'workflow.yaml'), 'utf8'));
  const steps = workflow.jobs.render.steps as Array<Record<string, any>>;

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
});

describeWith(['kubectl'], 'examples/argocd', () => {
  const cm = parse(readFileSync(join(examples, 'argocd', 'cmp-plugin.yaml'), 'utf8'));
  const plugin = parse(cm.data['plugin.yaml']);
  const generate = (cwd: string, namespace: string, extra: NodeJS.ProcessEnv = {}) =>
    run(plugin.spec.generate.command[0], [...plugin.spec.generate.command.slice(1), ...plugin.spec.generate.args], {
      cwd,
      env: { ...env, ARGOCD_APP_NAMESPACE: namespace, PATH: `${shims()}:${env.PATH}`, ...extra },
    });

  it('generate renders the app with the values of its destination namespace', async () => {
    const result = await generate(join(examples, 'aws-kms-kustomize', 'overlays', 'prod'), 'shop-prod');
    expect(result.code, result.stderr).toBe(0);
    const secret = parseAllDocuments(result.stdout)
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Secret');
    expect(decodeData(secret)).toEqual(values['shop-prod']);
  });

  it('refuses values of another namespace, even though the repo-server role could decrypt them', async () => {
    const result = await generate(join(examples, 'aws-kms-kustomize', 'overlays', 'prod'), 'shop-dev');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/value is bound to namespace shop-prod, which this run may not decrypt \(KMSECRET_NAMESPACES=shop-dev\)/);
    expect(result.stdout).toBe('');
  });

  it('fails the sync when the plugin did not run', async () => {
    const app = tempDir();
    writeFileSync(join(app, 'kustomization.yaml'), 'resources:\n- s.yaml\n');
    writeFileSync(join(app, 's.yaml'), readFileSync(join(examples, 'aws-kms-kpt', 'shop-secrets.kmsecret.yaml'), 'utf8'));
    const result = await generate(app, 'shop-staging');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/a KmsSecret is in the rendered output/);
    expect(result.stdout).toBe('');
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
