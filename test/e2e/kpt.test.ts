// kpt for real: fn render with a Kptfile pipeline and fn eval --exec, to
// stdout, unwrapped, to a directory, and in place (where nothing may change).
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ageKey, type AgeKey, kmsSecretYaml, sealerFor } from '../helpers/fixtures.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { binDir, copyCorpus, readTree, trickyConfigMap, writeFiles } from '../helpers/packages.js';
import { parseList, decodeData } from '../helpers/resource-list.js';
import { cleanEnv, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';
import { parseAllDocuments } from 'yaml';

const secretValues = { DB_PASSWORD: 'kpt-s3cr3t-v4lue', API_TOKEN: 'kpt-t0ken-v4lue' };
const plaintexts = Object.values(secretValues);

describeWith(['kpt'], 'kpt', () => {
  let key: AgeKey;
  let root: string;
  let env: NodeJS.ProcessEnv;
  let secretFile: string;
  const kptfile = (name: string) => `apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: ${name}\npipeline:\n  mutators:\n  - exec: kmsecret-fn\n`;
  const deployment =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        envFrom:\n        - secretRef:\n            name: app-secrets\n';

  beforeAll(async () => {
    key = await ageKey();
    root = tempDir();
    env = cleanEnv({ ...key.env, PATH: `${binDir(root)}:${process.env.PATH}` });
    secretFile = await kmsSecretYaml(key.provider, key.recipient, { name: 'app-secrets', namespace: 'team-a', data: secretValues });
  });

  function makePackage(name: string, extra: Record<string, string> = {}): string {
    const dir = join(root, name);
    writeFiles(dir, { Kptfile: kptfile(name), 'app-secrets.kmsecret.yaml': secretFile, 'deploy.yaml': deployment, 'tricky.yaml': trickyConfigMap, ...extra });
    return dir;
  }

  const kpt = (args: string[]) => run('kpt', args, { env, cwd: root });

  it('fn render -o stdout decrypts, and nothing of ours is left', async () => {
    const pkg = makePackage('render-stdout');
    const result = await kpt(['fn', 'render', pkg, '--allow-exec', '-o', 'stdout']);
    expect(result.code, result.stderr).toBe(0);
    const items = parseList(result.stdout).items;
    const secret = items.find((i) => i.kind === 'Secret') as Record<string, any>;
    expect(decodeData(secret)).toEqual(secretValues);
    expect(items.some((i) => i.kind === 'KmsSecret')).toBe(false);
    expect(result.stdout).not.toMatch(/kmsecret:v[0-9]/);
  });

  it('fn render in place leaves every file as it was: no plaintext reaches the checkout', async () => {
    const pkg = makePackage('render-in-place');
    const before = readTree(pkg);
    const result = await kpt(['fn', 'render', pkg, '--allow-exec']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr + result.stdout).toMatch(/kpt is writing into the package files, so KmsSecrets and encrypted values were left as they are/);
    expect(readTree(pkg)).toEqual(before);
    expectNoPlaintext(JSON.stringify(readTree(pkg)), plaintexts, 'the package');
  });

  it('fn eval --exec: in place changes nothing; -o unwrap and -o DIR decrypt', async () => {
    const pkg = makePackage('eval');
    const before = readTree(pkg);
    const inPlace = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn']);
    expect(inPlace.code, inPlace.stderr).toBe(0);
    expect(readTree(pkg)).toEqual(before);

    const unwrap = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'unwrap']);
    expect(unwrap.code, unwrap.stderr).toBe(0);
    const docs = parseAllDocuments(unwrap.stdout).map((d) => d.toJS());
    expect(decodeData(docs.find((d) => d.kind === 'Secret'))).toEqual(secretValues);

    const out = join(root, 'eval-out');
    const toDir = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', out]);
    expect(toDir.code, toDir.stderr).toBe(0);
    const written = readTree(out);
    // The Secret lands in a file of its own, never in the encrypted source's file (a copy of
    // which could be taken back into the package); the other files are kpt's copies.
    expect(written['team-a/secret_app-secrets.yaml']).toMatch(/kind: Secret/);
    expect(written['app-secrets.kmsecret.yaml']).toBeUndefined();
    expect(written['deploy.yaml']).toBe(before['deploy.yaml']);
    expect(written['tricky.yaml']).toBe(before['tricky.yaml']);
    expect(readTree(pkg)).toEqual(before);
  });

  it('decrypts env values in workloads, secretRef by default and inline on request', async () => {
    const sealer = await sealerFor(key.provider, key.recipient, { use: 'env', scope: 'strict', namespace: 'team-a', name: 'worker' });
    const token = sealer.seal('QUEUE_PASSWORD', new TextEncoder().encode('kpt-env-s3cr3t'));
    const worker = `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: worker\n  namespace: team-a\nspec:\n  template:\n    spec:\n      containers:\n      - name: worker\n        image: busybox\n        env:\n        - name: QUEUE_PASSWORD\n          value: ${token}\n`;
    const pkg = makePackage('env', { 'worker.yaml': worker });
    const secretRef = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout']);
    expect(secretRef.code, secretRef.stderr).toBe(0);
    const items = parseList(secretRef.stdout).items;
    const sts = items.find((i) => i.kind === 'StatefulSet') as Record<string, any>;
    const ref = sts.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef;
    const generated = items.find((i) => i.kind === 'Secret' && i.metadata.name === ref.name) as Record<string, any>;
    expect(decodeData(generated)[ref.key]).toBe('kpt-env-s3cr3t');
    expectNoPlaintext(JSON.stringify(sts), ['kpt-env-s3cr3t'], 'the StatefulSet');

    const inline = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', '--', 'envOutput=inline']);
    expect(inline.code, inline.stderr).toBe(0);
    const inlined = parseList(inline.stdout).items.find((i) => i.kind === 'StatefulSet') as Record<string, any>;
    expect(inlined.spec.template.spec.containers[0].env[0]).toEqual({ name: 'QUEUE_PASSWORD', value: 'kpt-env-s3cr3t' });
  });

  it('a failed render writes nothing and shows why (results and stderr)', async () => {
    const pkg = makePackage('broken', { 'app-secrets.kmsecret.yaml': secretFile.replace('name: app-secrets', 'name: renamed') });
    const out = join(root, 'broken-out');
    const result = await kpt(['fn', 'render', pkg, '--allow-exec', '-o', out, '--truncate-output=false']);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/value was encrypted as a Secret value for namespace team-a, name app-secrets, key (DB_PASSWORD|API_TOKEN)/);
    expect(existsSync(out)).toBe(false);
    expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  });

  it('leaves the files it does not own byte-identical to a copy-only function (kube-prometheus corpus)', async () => {
    const copyOnly = join(root, 'copy-stdin.sh');
    writeFileSync(copyOnly, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const pkg = join(root, 'corpus');
    copyCorpus(pkg);
    writeFiles(pkg, { 'tricky.yaml': trickyConfigMap, 'app-secrets.kmsecret.yaml': secretFile });
    const viaCopy = join(root, 'corpus-copy-out');
    const viaFn = join(root, 'corpus-fn-out');
    expect((await kpt(['fn', 'eval', pkg, '--exec', copyOnly, '-o', viaCopy])).code).toBe(0);
    const result = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', viaFn]);
    expect(result.code, result.stderr).toBe(0);
    const a = readTree(viaCopy);
    const b = readTree(viaFn);
    // The KmsSecret's file gives way to the Secret's own; every other file is the same.
    expect(Object.keys(b).sort()).toEqual(
      Object.keys(a)
        .filter((f) => f !== 'app-secrets.kmsecret.yaml')
        .concat('team-a/secret_app-secrets.yaml')
        .sort(),
    );
    const differing = Object.keys(a).filter((f) => a[f] !== b[f]);
    expect(differing).toEqual(['app-secrets.kmsecret.yaml']);
    // and the tricky scalars survived both as written
    expect(b['tricky.yaml']).toBe(trickyConfigMap);

    // In place, with nothing to decrypt, every file stays exactly as it was.
    const plain = join(root, 'corpus-plain');
    copyCorpus(plain);
    copyFileSync(join(pkg, 'tricky.yaml'), join(plain, 'tricky.yaml'));
    const before = readTree(plain);
    const copyBaseline = join(root, 'corpus-plain-copy');
    copyCorpus(copyBaseline);
    copyFileSync(join(pkg, 'tricky.yaml'), join(copyBaseline, 'tricky.yaml'));
    expect((await kpt(['fn', 'eval', copyBaseline, '--exec', copyOnly])).code).toBe(0);
    expect((await kpt(['fn', 'eval', plain, '--exec', 'kmsecret-fn'])).code).toBe(0);
    expect(readTree(plain)).toEqual(readTree(copyBaseline));
    expect(readTree(plain)['tricky.yaml']).toBe(before['tricky.yaml']);
  });
});
