// The container image for real: the Dockerfile built with podman by
// scripts/container/build.sh (Node.js 24, stand-ins for the base images since no
// registry is reachable), then run by podman itself, by kubectl kustomize
// through a `docker` that execs podman, and by kpt with KPT_FN_RUNTIME=podman.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { buildImage, containerEnv, dockerShimDir, image, imageNodeVersion, podman } from '../helpers/container.js';
import { ageKey, type AgeKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { readTree, writeFiles } from '../helpers/packages.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { repoRoot, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // the in-process sealer, on the host's Node

const values = { DB_PASSWORD: 'ctr-s3cr3t-v4lue', API_TOKEN: 'ctr-t0ken-v4lue' };
const plaintexts = Object.values(values);
/** What a careful operator passes: no root, nothing writable, no capabilities, no setuid escalation, no network. */
const hardened = ['--rm', '-i', '--read-only', '--cap-drop=ALL', '--security-opt', 'no-new-privileges', '--network', 'none'];

const deployment =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        envFrom:\n        - secretRef:\n            name: app-secrets\n';
const transformer = 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n';
/** The kustomize container-function annotation on a KmsSecret or a KmsSecretTransformer. */
const asContainerFn = (text: string, fn: string) =>
  text.replace(
    'metadata:\n',
    `metadata:\n  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: ${image}\n${fn.replace(/^/gm, '        ')}\n`,
  );

type Doc = Record<string, any>;
const docs = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc);

describeWith(['podman'], 'container image (podman)', () => {
  let key: AgeKey;
  let root: string;
  let kmsSecret: string;

  beforeAll(async () => {
    await buildImage();
    key = await ageKey();
    root = tempDir();
    kmsSecret = await kmsSecretYaml(key.provider, key.recipient, { name: 'app-secrets', namespace: 'team-a', data: values });
  }, 15 * 60_000);

  describe('podman run', () => {
    it('decrypts a ResourceList on stdin as a non-root user, read-only, without capabilities or new privileges', async () => {
      const result = await podman(['run', ...hardened, '-e', 'KMSECRET_AGE_KEY', image], { stdin: resourceList([kmsSecret]), env: containerEnv(key.env) });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const items = parseList(result.stdout).items;
      expect(items.map((i) => `${i.kind} ${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['Secret team-a/app-secrets']);
      expect(decodeData(items[0] as Doc)).toEqual(values);
    });

    it('under those flags the process really is uid 65532 with no capabilities, no new privileges and no writable root, on Node.js 24', async () => {
      const probe = `
        const fs = require('node:fs');
        const status = fs.readFileSync('/proc/self/status', 'utf8');
        const field = (k) => new RegExp('^' + k + ':\\\\s*(.*)$', 'm').exec(status)[1];
        let write;
        try { fs.writeFileSync('/app/probe', 'x'); write = 'written'; } catch (e) { write = e.code; }
        console.log(JSON.stringify({ version: process.version, uid: process.getuid(), gid: process.getgid(),
          capEff: field('CapEff'), capBnd: field('CapBnd'), noNewPrivs: field('NoNewPrivs'), write }));`;
      const result = await podman(['run', ...hardened, '--entrypoint', '/nodejs/bin/node', image, '-e', probe]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        version: `v${imageNodeVersion()}`,
        uid: 65532,
        gid: 65532,
        capEff: '0000000000000000',
        capBnd: '0000000000000000',
        noNewPrivs: '1',
        write: 'EROFS',
      });
      const config = await podman(['image', 'inspect', '--format', '{{json .Config}}', image]);
      expect(config.code, config.stderr).toBe(0);
      const { User, Entrypoint } = JSON.parse(config.stdout) as { User: string; Entrypoint: string[] };
      expect(User).toBe('65532:65532');
      expect(Entrypoint).toEqual(['/nodejs/bin/node', '/app/dist/kmsecret-fn.mjs']);
    });

    it('has no shell', async () => {
      for (const shell of ['sh', '/bin/sh', '/bin/bash', '/busybox/sh']) {
        const result = await podman(['run', '--rm', '--network', 'none', '--entrypoint', shell, image, '-c', 'true']);
        expect(result.code, `${shell}: ${result.stdout}`).not.toBe(0);
        expect(result.stderr).toMatch(/executable file not found|no such file or directory/);
      }
    });
  });

  describeWith(['kubectl'], 'kubectl kustomize --enable-alpha-plugins --network (a `docker` that execs podman)', () => {
    const kustomize = (dir: string) => run('kubectl', ['kustomize', '--enable-alpha-plugins', '--network', dir], { env: containerEnv(key.env), cwd: root });

    it('runs through the shim, not any other docker on PATH', async () => {
      const which = await run('sh', ['-c', 'command -v docker'], { env: containerEnv() });
      expect(which.stdout.trim()).toBe(join(dockerShimDir, 'docker'));
    });

    it('generator: a KmsSecret with the container annotation becomes a hashed Secret, and references follow', async () => {
      const dir = join(root, 'kustomize-generator');
      writeFiles(dir, {
        'kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\nresources:\n- deploy.yaml\n',
        'app-secrets.kmsecret.yaml': asContainerFn(kmsSecret, 'envs: [KMSECRET_AGE_KEY]'),
        'deploy.yaml': deployment,
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      const [secret, deploy] = docs(result.stdout) as [Doc, Doc];
      expect(secret.kind).toBe('Secret');
      expect(secret.metadata.name).toMatch(/^app-secrets-[a-z0-9]{10}$/);
      expect(decodeData(secret)).toEqual(values);
      expect(deploy.spec.template.spec.containers[0].envFrom[0].secretRef.name).toBe(secret.metadata.name);
    });

    it('transformer: a KmsSecretTransformer with the container annotation converts the KmsSecrets among the resources', async () => {
      const dir = join(root, 'kustomize-transformer');
      writeFiles(dir, {
        'kustomization.yaml': 'resources:\n- app-secrets.kmsecret.yaml\n- deploy.yaml\ntransformers:\n- decrypt.yaml\n',
        'app-secrets.kmsecret.yaml': kmsSecret,
        'deploy.yaml': deployment,
        'decrypt.yaml': asContainerFn(transformer, 'envs: [KMSECRET_AGE_KEY]'),
      });
      const result = await kustomize(dir);
      expect(result.code, result.stderr).toBe(0);
      const out = docs(result.stdout);
      expect(out.map((d) => `${d.kind} ${d.metadata.name}`).sort()).toEqual(['Deployment web', 'Secret app-secrets']);
      expect(decodeData(out.find((d) => d.kind === 'Secret') as Doc)).toEqual(values);
    });

    it('the container sees only the environment the annotation passes in', async () => {
      const dir = join(root, 'kustomize-noenv');
      writeFiles(dir, {
        'kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\n',
        'app-secrets.kmsecret.yaml': asContainerFn(kmsSecret, 'envs: []'),
      });
      const result = await kustomize(dir);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/no age identity/);
      expectNoPlaintext(result.stdout + result.stderr, plaintexts);
    });
  });

  describeWith(['kpt'], 'kpt fn eval --image (KPT_FN_RUNTIME=podman)', () => {
    const makePackage = (name: string): string => {
      const dir = join(root, name);
      writeFiles(dir, { 'app-secrets.kmsecret.yaml': kmsSecret, 'deploy.yaml': deployment });
      return dir;
    };
    const kpt = (args: string[]) => run('kpt', args, { env: containerEnv(key.env), cwd: root });

    it('-o stdout alone: the function cannot see kpt’s command line, so it refuses, saying exactly what to add', async () => {
      const pkg = makePackage('kpt-undeclared');
      const before = readTree(pkg);
      const result = await kpt(['fn', 'eval', pkg, '--image', image, '-o', 'stdout', '--truncate-output=false', '-e', 'KMSECRET_AGE_KEY']);
      expect(result.code).not.toBe(0);
      // kpt shows the function's error result and its stderr.
      expect(result.stdout + result.stderr).toMatch(/kmsecret-fn cannot see where kpt writes its output/);
      expect(result.stdout + result.stderr).toMatch(/kpt fn eval --env KMSECRET_KPT_OUTPUT=stdout/);
      expectNoPlaintext(result.stdout + result.stderr, plaintexts);
      expect(readTree(pkg)).toEqual(before);
    });

    it('-o stdout with --env KMSECRET_KPT_OUTPUT=stdout: decrypts, and the package files stay as they were', async () => {
      const pkg = makePackage('kpt-declared');
      const before = readTree(pkg);
      const result = await kpt(['fn', 'eval', pkg, '--image', image, '-o', 'stdout', '-e', 'KMSECRET_AGE_KEY', '-e', 'KMSECRET_KPT_OUTPUT=stdout']);
      expect(result.code, result.stderr).toBe(0);
      const items = parseList(result.stdout).items;
      expect(items.map((i) => i.kind).sort()).toEqual(['Deployment', 'Secret']);
      expect(decodeData(items.find((i) => i.kind === 'Secret') as Doc)).toEqual(values);
      expect(readTree(pkg)).toEqual(before);
    });
  });

  describe('AWS KMS from inside the container (the test KMS server on the host’s 127.0.0.1)', () => {
    const kms = useKmsServer();
    const awsNames = ['AWS_ENDPOINT_URL_KMS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    /** The AWS_* settings of awsEnv() (and its fast retries), for podman to pass on with -e NAME. */
    const awsVars = (): NodeJS.ProcessEnv =>
      Object.fromEntries(Object.entries(awsEnv(kms.server().endpoint)).filter(([k]) => /^(AWS_|KMSECRET_)/.test(k) && !/_FILE$/.test(k)));
    let awsSecret: string;

    beforeAll(async () => {
      kms.server().createKey({ alias: 'alias/team-a' });
      Object.assign(process.env, awsVars());
      awsSecret = await kmsSecretYaml(new AwsKmsProvider(), 'alias/team-a', { name: 'db', namespace: 'team-a', data: values });
    });

    it('podman run --network host reaches it: one Decrypt, and no Node.js version warning from the SDK', async () => {
      kms.server().reset();
      const env = ['-e', 'KMSECRET_RETRY_BASE_MS', ...awsNames.flatMap((n) => ['-e', n])];
      const result = await podman(['run', ...hardened.slice(0, -2), '--network', 'host', ...env, image], {
        stdin: resourceList([awsSecret]),
        env: containerEnv(awsVars()),
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      expect(decodeData(parseList(result.stdout).items[0] as Doc)).toEqual(values);
      expect(kms.server().count('Decrypt')).toBe(1);
      expect(kms.server().count()).toBe(1);
    });

    it('with --network none it cannot, and fails without a plaintext', async () => {
      kms.server().reset();
      const env = ['-e', 'KMSECRET_RETRY_BASE_MS', '-e', 'KMSECRET_MAX_ATTEMPTS=2', ...awsNames.flatMap((n) => ['-e', n])];
      const result = await podman(['run', ...hardened, ...env, image], { stdin: resourceList([awsSecret]), env: containerEnv(awsVars()) });
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stderr).toMatch(/aws: KMS did not answer kms:Decrypt on \S+ \(ECONNREFUSED\)/);
      expect(parseList(result.stdout).items).toEqual([]);
      expectNoPlaintext(result.stdout + result.stderr, plaintexts);
      expect(kms.server().count()).toBe(0);
    });

    describeWith(['kubectl'], 'through kubectl kustomize', () => {
      it('--network with `network: true` and the AWS settings in `envs:`', async () => {
        kms.server().reset();
        const dir = join(root, 'kustomize-aws');
        writeFiles(dir, {
          'kustomization.yaml': 'generators:\n- db.kmsecret.yaml\n',
          'db.kmsecret.yaml': asContainerFn(awsSecret, `network: true\nenvs: [${awsNames.join(', ')}]`),
        });
        const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', '--network', dir], { env: containerEnv(awsVars()), cwd: root });
        expect(result.code, result.stderr).toBe(0);
        const [secret] = docs(result.stdout) as [Doc];
        expect(secret.metadata.name).toMatch(/^db-[a-z0-9]{10}$/);
        expect(decodeData(secret)).toEqual(values);
        expect(kms.server().count('Decrypt')).toBe(1);
      });
    });
  });

  it('the image is the Dockerfile’s: the same entrypoint file the other end-to-end tests run', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/kmsecret-fn\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^FROM docker\.io\/library\/node:24-bookworm-slim AS build$/m);
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m);
  });
});
