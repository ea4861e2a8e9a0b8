// kubectl kustomize for real, in each way it runs plugins here: the legacy exec
// plugin layout (generator and transformer), and the container form through a
// `docker` stand-in that runs the Dockerfile's ENTRYPOINT.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ageKey, type AgeKey, kmsSecretYaml, sealerFor } from '../helpers/fixtures.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { writeFiles } from '../helpers/packages.js';
import { decodeData } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run, runCli } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

const values = { DB_PASSWORD: 'kz-s3cr3t', 'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
const plaintexts = ['kz-s3cr3t', 'MIIB'];

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        envFrom:
        - secretRef:
            name: app-secrets
        env:
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef:
              name: app-secrets
              key: DB_PASSWORD
      volumes:
      - name: tls
        secret:
          secretName: app-secrets
`;

type Doc = Record<string, any>;
const docs = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc);

describeWith(['kubectl'], 'kubectl kustomize', () => {
  let key: AgeKey;
  let root: string;
  let pluginHome: string;
  let env: NodeJS.ProcessEnv;
  let kmsSecret: string;

  beforeAll(async () => {
    key = await ageKey();
    root = tempDir();
    pluginHome = join(root, 'plugins');
    const installed = await runCli(['install-plugin', '--dir', pluginHome]);
    expect(installed.code, installed.stderr).toBe(0);
    env = cleanEnv({ ...key.env, KUSTOMIZE_PLUGIN_HOME: pluginHome });
    kmsSecret = await kmsSecretYaml(key.provider, key.recipient, { name: 'app-secrets', namespace: 'team-a', data: values, labels: { app: 'web' } });
  });

  const kustomize = (dir: string, extraEnv: NodeJS.ProcessEnv = {}) =>
    run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env: { ...env, ...extraEnv }, cwd: root });

  describe('legacy exec plugin (the form kubectl kustomize runs without Docker)', () => {
    it('generator: a hashed Secret, and every reference to it rewritten', async () => {
      const dir = join(root, 'generator');
      writeFiles(dir, {
        'kustomization.yaml': 'namespace: team-a\ngenerators:\n- app-secrets.kmsecret.yaml\nresources:\n- deploy.yaml\n',
        'app-secrets.kmsecret.yaml': kmsSecret,
        'deploy.yaml': deployment,
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const [secret, deploy] = docs(result.stdout) as [Doc, Doc];
      expect(secret.kind).toBe('Secret');
      expect(secret.metadata.name).toMatch(/^app-secrets-[a-z0-9]{10}$/);
      expect(secret.metadata.labels).toEqual({ app: 'web' });
      // The one thing of ours left: where the values are bound, for `kmsecret check --rendered`.
      expect(secret.metadata.annotations).toEqual({ 'kmsecret.dev/bound-namespace': 'team-a' });
      expect(decodeData(secret)).toEqual(values);
      const pod = deploy.spec.template.spec;
      expect(pod.containers[0].envFrom[0].secretRef.name).toBe(secret.metadata.name);
      expect(pod.containers[0].env[0].valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
      expect(pod.volumes[0].secret.secretName).toBe(secret.metadata.name);
      // Golden output: the hash depends only on the Secret's content, so the render is reproducible.
      const golden = join(repoRoot, 'test', 'golden', 'kustomize-generator.yaml');
      if (process.env.KMSECRET_UPDATE_GOLDEN) writeFileSync(golden, result.stdout);
      expect(result.stdout).toBe(readFileSync(golden, 'utf8'));
    });

    it('generator: needs-hash "false" on the KmsSecret keeps the plain name', async () => {
      const dir = join(root, 'nohash');
      writeFiles(dir, {
        'kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\n',
        'app-secrets.kmsecret.yaml': kmsSecret.replace('metadata:\n', 'metadata:\n  annotations:\n    kustomize.config.k8s.io/needs-hash: "false"\n'),
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      const [secret] = docs(result.stdout) as [Doc];
      expect(secret.metadata.name).toBe('app-secrets');
      expect(secret.metadata.annotations).toEqual({ 'kmsecret.dev/bound-namespace': 'team-a' });
    });

    it('transformer: one entry converts every KmsSecret, and references follow namePrefix', async () => {
      const dir = join(root, 'transformer');
      const second = await kmsSecretYaml(key.provider, key.recipient, { name: 'other', namespace: 'team-a', data: { X: 'kz-other-value' } });
      writeFiles(dir, {
        'kustomization.yaml':
          'namespace: team-a\nnamePrefix: prod-\nresources:\n- app-secrets.kmsecret.yaml\n- other.kmsecret.yaml\n- deploy.yaml\ntransformers:\n- decrypt.yaml\n',
        'app-secrets.kmsecret.yaml': kmsSecret,
        'other.kmsecret.yaml': second,
        'deploy.yaml': deployment,
        'decrypt.yaml': 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n',
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      const out = docs(result.stdout);
      const secrets = out.filter((d) => d.kind === 'Secret');
      expect(secrets.map((s) => s.metadata.name).sort()).toEqual(['prod-app-secrets', 'prod-other']);
      expect(decodeData(secrets.find((s) => s.metadata.name === 'prod-other') as Doc)).toEqual({ X: 'kz-other-value' });
      const pod = (out.find((d) => d.kind === 'Deployment') as Doc).spec.template.spec;
      expect(pod.containers[0].envFrom[0].secretRef.name).toBe('prod-app-secrets');
      expect(pod.volumes[0].secret.secretName).toBe('prod-app-secrets');
      expect(result.stdout.replace(/kmsecret\.dev\/bound-namespace: team-a/g, '')).not.toMatch(/kmsecret|KmsSecret/);
    });

    it('transformer: env values in workloads, bound to the name as written before namePrefix', async () => {
      const sealer = await sealerFor(key.provider, key.recipient, { use: 'env', scope: 'strict', namespace: 'team-a', name: 'web' });
      const token = sealer.seal('ACCESS_TOKEN', new TextEncoder().encode('kz-env-t0ken'));
      const dir = join(root, 'env');
      const web = deployment.replace('        env:\n', `        env:\n        - name: ACCESS_TOKEN\n          value: ${token}\n`);
      writeFiles(dir, {
        'kustomization.yaml': 'namespace: team-a\nnamePrefix: prod-\nresources:\n- deploy.yaml\n- app-secrets.kmsecret.yaml\ntransformers:\n- decrypt.yaml\n',
        'deploy.yaml': web,
        'app-secrets.kmsecret.yaml': kmsSecret,
        'decrypt.yaml': 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n',
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      const out = docs(result.stdout);
      const pod = (out.find((d) => d.kind === 'Deployment') as Doc).spec.template.spec;
      const ref = pod.containers[0].env[0].valueFrom.secretKeyRef;
      expect(ref.name).toMatch(/^prod-web-env-[0-9a-f]{10}$/);
      const generated = out.find((d) => d.kind === 'Secret' && d.metadata.name === ref.name) as Doc;
      expect(decodeData(generated)[ref.key]).toBe('kz-env-t0ken');
      expect(pod.containers[0].envFrom[0].secretRef.name).toBe('prod-app-secrets');
      expectNoPlaintext(JSON.stringify(pod), ['kz-env-t0ken'], 'the Deployment');

      writeFiles(dir, {
        'decrypt.yaml': 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\nenv:\n  output: inline\n',
      });
      const inline = await kustomize(dir);
      expect(inline.code, inline.stderr).toBe(0);
      const inlinePod = (docs(inline.stdout).find((d) => d.kind === 'Deployment') as Doc).spec.template.spec;
      expect(inlinePod.containers[0].env[0]).toEqual({ name: 'ACCESS_TOKEN', value: 'kz-env-t0ken' });
    });

    it('fails the build with our message on stderr, and no plaintext', async () => {
      const dir = join(root, 'broken');
      writeFiles(dir, {
        'kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\n',
        'app-secrets.kmsecret.yaml': kmsSecret.replace('namespace: team-a', 'namespace: team-b'),
      });
      const result = await kustomize(dir);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/KmsSecret team-b\/app-secrets data\.DB_PASSWORD: value was encrypted as a Secret value for namespace team-a/);
      expect(result.stdout).toBe('');
      expectNoPlaintext(result.stdout + result.stderr, plaintexts);
    });
  });

  describe('container function (through the docker stand-in, running the Dockerfile ENTRYPOINT)', () => {
    const dockerEnv = () => ({ PATH: `${join(repoRoot, 'test', 'e2e', 'bin')}:${process.env.PATH}` });
    const annotated = (text: string) =>
      text.replace(
        'metadata:\n',
        'metadata:\n  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: kmsecret-fn:test\n        envs: [KMSECRET_AGE_KEY]\n',
      );

    it('generator', async () => {
      const dir = join(root, 'container-generator');
      writeFiles(dir, {
        'kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\nresources:\n- deploy.yaml\n',
        'app-secrets.kmsecret.yaml': annotated(kmsSecret),
        'deploy.yaml': deployment.replace('  name: web\n', '  name: web\n  namespace: team-a\n'),
      });
      const result = await kustomize(dir, dockerEnv());
      expect(result.code, result.stderr).toBe(0);
      const [secret, deploy] = docs(result.stdout) as [Doc, Doc];
      expect(secret.metadata.name).toMatch(/^app-secrets-[a-z0-9]{10}$/);
      expect(decodeData(secret)).toEqual(values);
      expect(deploy.spec.template.spec.containers[0].envFrom[0].secretRef.name).toBe(secret.metadata.name);
    });

    it('transformer', async () => {
      const dir = join(root, 'container-transformer');
      writeFiles(dir, {
        'kustomization.yaml': 'resources:\n- app-secrets.kmsecret.yaml\ntransformers:\n- decrypt.yaml\n',
        'app-secrets.kmsecret.yaml': kmsSecret,
        'decrypt.yaml': annotated('apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n'),
      });
      const result = await kustomize(dir, dockerEnv());
      expect(result.code, result.stderr).toBe(0);
      expect(decodeData(docs(result.stdout)[0] as Doc)).toEqual(values);
    });

    it('sees only the environment the function annotation passes in', async () => {
      const dir = join(root, 'container-noenv');
      writeFiles(dir, {
        'kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\n',
        'app-secrets.kmsecret.yaml': annotated(kmsSecret).replace('envs: [KMSECRET_AGE_KEY]', 'envs: []'),
      });
      const result = await kustomize(dir, dockerEnv());
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/no age identity/);
    });
  });

  describe('KmsSecretGenerator: every KmsSecret file of a kustomization in one run', () => {
    const generatorConfig = (files: string[]) =>
      `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretGenerator\nmetadata:\n  name: secrets\nfiles:\n${files.map((f) => `- ${f}`).join('\n')}\n`;

    it('generates a hashed Secret per KmsSecret, and kustomize rewrites every reference to each', async () => {
      const dir = join(root, 'kmsgen');
      const second = await kmsSecretYaml(key.provider, key.recipient, { name: 'db', namespace: 'team-a', data: { PASSWORD: 'kz-db-value' } });
      const third = await kmsSecretYaml(key.provider, key.recipient, { name: 'cache', namespace: 'team-a', data: { URL: 'kz-cache-value' } });
      writeFiles(dir, {
        'kustomization.yaml': 'namespace: team-a\ngenerators:\n- secrets.yaml\nresources:\n- deploy.yaml\n',
        'secrets.yaml': generatorConfig(['app-secrets.kmsecret.yaml', 'more/db.kmsecret.yaml']),
        'app-secrets.kmsecret.yaml': kmsSecret,
        // Two KmsSecrets in one file: both become Secrets.
        'more/db.kmsecret.yaml': `${second}---\n${third}`,
        'deploy.yaml': deployment,
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const out = docs(result.stdout);
      const secrets = out.filter((d) => d.kind === 'Secret');
      expect(secrets.map((s) => s.metadata.name.replace(/-[a-z0-9]{10}$/, '')).sort()).toEqual(['app-secrets', 'cache', 'db']);
      for (const secret of secrets) expect(secret.metadata.name).toMatch(/-[a-z0-9]{10}$/);
      const app = secrets.find((s) => s.metadata.name.startsWith('app-secrets-')) as Doc;
      expect(decodeData(app)).toEqual(values);
      expect(decodeData(secrets.find((s) => s.metadata.name.startsWith('db-')) as Doc)).toEqual({ PASSWORD: 'kz-db-value' });
      const pod = (out.find((d) => d.kind === 'Deployment') as Doc).spec.template.spec;
      expect(pod.containers[0].envFrom[0].secretRef.name).toBe(app.metadata.name);
      expect(pod.volumes[0].secret.secretName).toBe(app.metadata.name);
      expect(result.stdout.replace(/kmsecret\.dev\/bound-namespace: team-a/g, '')).not.toMatch(/kmsecret|KmsSecret/);
      // The source check follows the generator's files, in the namespace they land in.
      const checked = await runCli(['check', dir], { env });
      expect(checked.code, checked.stdout).toBe(0);
      writeFiles(dir, { 'kustomization.yaml': 'namespace: team-b\ngenerators:\n- secrets.yaml\nresources:\n- deploy.yaml\n' });
      const moved = await runCli(['check', dir], { env });
      expect(moved.code).toBe(3);
      expect(moved.stdout).toMatch(
        /more\/db\.kmsecret\.yaml:\d+ KmsSecret team-b\/db data\.PASSWORD: value was encrypted as a Secret value for namespace team-a/,
      );
    });

    it('reads only files inside its kustomization, and only KmsSecrets', async () => {
      const dir = join(root, 'kmsgen-bad');
      writeFiles(dir, {
        'outside.kmsecret.yaml': kmsSecret,
        'app/kustomization.yaml': 'generators:\n- secrets.yaml\n',
        'app/secrets.yaml': generatorConfig(['../outside.kmsecret.yaml', '/etc/passwd', 'missing.yaml', 'cm.yaml']),
        'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
      });
      const result = await kustomize(join(dir, 'app'));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/\.\.\/outside\.kmsecret\.yaml files: is outside the kustomization's directory/);
      expect(result.stderr).toMatch(/\/etc\/passwd files: is an absolute path/);
      expect(result.stderr).toMatch(/missing\.yaml files: no such file/);
      expectNoPlaintext(result.stdout + result.stderr, plaintexts);
      writeFiles(dir, { 'app/secrets.yaml': generatorConfig(['cm.yaml']) });
      const notOurs = await kustomize(join(dir, 'app'));
      expect(notOurs.stderr).toMatch(/cm\.yaml:1 ConfigMap x: is not a KmsSecret: a KmsSecretGenerator lists KmsSecret files/);
    });
  });

  it('silently skips an exec function (why the README says to use the plugin layout)', async () => {
    mkdirSync(join(root, 'skip'), { recursive: true });
    const dir = join(root, 'skip');
    writeFiles(dir, {
      'kustomization.yaml': 'resources:\n- app-secrets.kmsecret.yaml\ntransformers:\n- decrypt.yaml\n',
      'app-secrets.kmsecret.yaml': kmsSecret,
      'decrypt.yaml':
        'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: kmsecret-fn\n',
    });
    const result = await kustomize(dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/kind: KmsSecret/);
  });
});
