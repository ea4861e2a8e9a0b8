// The claims of docs/SECURITY.md about where plaintext lands in a pipeline, one
// test each, with the real kpt and kubectl kustomize: kpt's write-back can be
// fooled into no plaintext on disk; a value moved to another namespace by a
// kustomization is caught by the documented guard; kustomize's rename record
// cannot be forged; inline env values survive both tools byte for byte.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ageKey, type AgeKey, envTokens, kmsSecretYaml } from '../helpers/fixtures.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { binDir, readTree, writeFiles } from '../helpers/packages.js';
import { decodeData, parseList, yaml } from '../helpers/resource-list.js';
import { cleanEnv, run, runCli } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

const values = { DB_PASSWORD: 'pipeline-s3cr3t' };
const plaintexts = Object.values(values);
type Doc = Record<string, any>;
const docs = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc);

let key: AgeKey;
let root: string;
let env: NodeJS.ProcessEnv;
let secretFile: string;
beforeAll(async () => {
  key = await ageKey();
  root = tempDir();
  const pluginHome = join(root, 'plugins');
  expect((await runCli(['install-plugin', '--dir', pluginHome])).code).toBe(0);
  env = cleanEnv({ ...key.env, KUSTOMIZE_PLUGIN_HOME: pluginHome, PATH: `${binDir(root)}:${process.env.PATH}` });
  secretFile = await kmsSecretYaml(key.provider, key.recipient, { name: 'app-secrets', namespace: 'team-a', data: values });
});

describeWith(['kpt'], "kpt's write-back cannot be made to put plaintext into the package", () => {
  const kptfile = 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\npipeline:\n  mutators:\n  - exec: kmsecret-fn\n';
  const pkgNamed = (name: string) => {
    const dir = join(root, name);
    writeFiles(dir, { Kptfile: kptfile, 'app-secrets.kmsecret.yaml': secretFile });
    return dir;
  };
  const kpt = (args: string[], extra: NodeJS.ProcessEnv = {}) => run('kpt', args, { env: { ...env, ...extra }, cwd: root });
  const unchanged = (pkg: string, before: Record<string, string>) => {
    expect(readTree(pkg)).toEqual(before);
    expectNoPlaintext(JSON.stringify(readTree(pkg)), plaintexts, 'the package');
  };

  it('an empty output value is in place: kpt fn render -o "" and kpt fn eval --output ""', async () => {
    const pkg = pkgNamed('empty-o');
    const before = readTree(pkg);
    // What `kpt fn render pkg -o "$OUT"` runs when OUT is unset.
    const render = await kpt(['fn', 'render', pkg, '--allow-exec', '-o', '']);
    expect(render.stdout + render.stderr).toMatch(/left as they are/);
    unchanged(pkg, before);
    for (const output of [['--output', ''], ['--output='], ['-o', '']]) {
      const evaluated = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', ...output]);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      unchanged(pkg, before);
    }
  });

  it('KMSECRET_KPT_OUTPUT=stdout does not override an in-place run the function can see', async () => {
    const pkg = pkgNamed('declared');
    const before = readTree(pkg);
    const result = await kpt(['fn', 'render', pkg, '--allow-exec'], { KMSECRET_KPT_OUTPUT: 'stdout' });
    expect(result.code, result.stderr).toBe(0);
    unchanged(pkg, before);
  });

  it('kpt fn source | kpt fn eval - | kpt fn sink: the Secret is a file of its own, never the encrypted source', async () => {
    const pkg = pkgNamed('piped');
    const before = readTree(pkg);
    const out = join(root, 'piped-out');
    execFileSync('sh', ['-c', `kpt fn source "$1" | kpt fn eval - --exec kmsecret-fn | kpt fn sink "$2"`, 'sh', pkg, out], {
      env,
      cwd: root,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const written = readTree(out);
    expect(Object.keys(written).sort()).toEqual(['Kptfile', 'team-a/secret_app-secrets.yaml']);
    expect(decodeData(docs(written['team-a/secret_app-secrets.yaml'] as string)[0] as Doc)).toEqual(values);
    unchanged(pkg, before);
    // A sink back into the package itself is refused by kpt; the source stays encrypted.
    const back = await run('sh', ['-c', `kpt fn source "$1" | kpt fn eval - --exec kmsecret-fn | kpt fn sink "$1"`, 'sh', pkg], { env, cwd: root });
    expect(back.code).not.toBe(0);
    unchanged(pkg, before);
  });

  it('a YAML merge key, which kpt keeps and kubectl applies differently, is refused in what kmsecret changes', async () => {
    const t = await envTokens(key.provider, key.recipient, { workload: 'web', namespace: 'team-a', values: { API_TOKEN: 'merge-s3cr3t' } });
    const pkg = join(root, 'merge');
    writeFiles(pkg, {
      Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: merge\n',
      'web.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\n  <<: {namespace: team-b}\n  annotations:\n    kmsecret.dev/env-output: inline\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: x\n        env:\n        - name: API_TOKEN\n          value: ${t.API_TOKEN}\n`,
    });
    const result = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', '--truncate-output=false'], { KMSECRET_NAMESPACES: 'team-a' });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/uses a YAML merge key \(<<\)/);
    expectNoPlaintext(result.stdout + result.stderr, ['merge-s3cr3t']);
  });

  it('a token hidden in a !!binary scalar is found, by the render and by the guard', async () => {
    const token = /DB_PASSWORD: (\S+)/.exec(secretFile)?.[1] as string;
    const hidden = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hidden\n  namespace: team-a\ndata:\n  x: !!binary ${Buffer.from(token).toString('base64')}\n`;
    const pkg = join(root, 'binary');
    writeFiles(pkg, { Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: binary\n', 'cm.yaml': hidden });
    const result = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', '--truncate-output=false']);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/holds a kmsecret token where kmsecret-fn does not decrypt/);
    const guard = await runCli(['check', '--rendered', '-'], { env, stdin: hidden });
    expect(guard.code).toBe(3);
    expect(guard.stdout).toMatch(/ConfigMap team-a\/hidden data\.x: a kmsecret token is in the rendered output/);
  });

  it('a token in an !!omap, !!pairs or !!set (read as a Map or a Set) is found, by the render and by the guard', async () => {
    const token = /DB_PASSWORD: (\S+)/.exec(secretFile)?.[1] as string;
    for (const [name, data] of [
      ['omap', `data: !!omap\n- x: ${token}\n`],
      ['pairs', `data: !!pairs\n- x: ${token}\n`],
      ['set', `spec: !!set\n  ${token}:\n`],
    ]) {
      const hidden = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hidden\n  namespace: team-a\n${data}`;
      const pkg = join(root, `collection-${name}`);
      writeFiles(pkg, { Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: collection\n', 'cm.yaml': hidden });
      const result = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', '--truncate-output=false']);
      expect(result.code, name).not.toBe(0);
      // (kpt writes the set back in a form the yaml package refuses: refused as unreadable.)
      expect(result.stdout + result.stderr).toMatch(/holds a kmsecret token where kmsecret-fn does not decrypt|is not valid YAML/);
      const guard = await runCli(['check', '--rendered', '-'], { env, stdin: hidden });
      expect(guard.code, name).toBe(3);
    }
  });

  it('a token spelled with YAML escapes is found; escapes that spell nothing of ours pass through as they came', async () => {
    const token = /DB_PASSWORD: (\S+)/.exec(secretFile)?.[1] as string;
    const cm = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: team-a\ndata:\n  x: ${value}\n`;
    const harmless = cm('harmless', '"caf\\u00e9, a \\\\x6b and a long \\\n    line"');
    for (const [name, value] of [
      ['hex', `"\\x6b${token.slice(1)}"`],
      ['unicode', `"\\u006B\\u006d${token.slice(2)}"`],
      ['continued', `"kmse\\\n    ${token.slice(4)}"`],
    ]) {
      const pkg = join(root, `escaped-${name}`);
      writeFiles(pkg, { Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: escaped\n', 'cm.yaml': cm('hidden', value as string) });
      const result = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', '--truncate-output=false']);
      expect(result.code, name).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/holds a kmsecret token where kmsecret-fn does not decrypt/);
    }
    const pkg = join(root, 'escaped-harmless');
    writeFiles(pkg, { Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: harmless\n', 'cm.yaml': harmless });
    const passed = await kpt(['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', '--truncate-output=false']);
    expect(passed.code, passed.stderr).toBe(0);
    // As kpt's own copy would leave it.
    const copy = join(root, 'copy-stdin.sh');
    writeFileSync(copy, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const copied = await kpt(['fn', 'eval', pkg, '--exec', copy, '-o', 'stdout', '--truncate-output=false']);
    expect(passed.stdout).toBe(copied.stdout);
    expect(passed.stdout).toMatch(/name: harmless/);
  });

  it('under kpt, a hand-written previousNames never renames a binding', async () => {
    const pkg = join(root, 'prev');
    writeFiles(pkg, {
      Kptfile: kptfile,
      'stolen.kmsecret.yaml': secretFile.replace(
        'name: app-secrets',
        'name: x-app-secrets\n  annotations:\n    internal.config.kubernetes.io/previousNames: app-secrets\n    internal.config.kubernetes.io/prefixes: x-',
      ),
    });
    const result = await kpt(['fn', 'render', pkg, '--allow-exec', '-o', 'stdout', '--truncate-output=false']);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/not as a Secret value for namespace team-a, name x-app-secrets/);
    expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  });
});

describeWith(['kubectl'], 'kubectl kustomize', () => {
  const kustomize = (dir: string) => run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env, cwd: root });
  const checkRendered = (text: string) => runCli(['check', '--rendered', '-'], { env, stdin: text });
  const transformerFile = 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n';

  it('a generator Secret that a kustomization moves to another namespace fails the documented guards', async () => {
    const dir = join(root, 'moved');
    writeFiles(dir, {
      'base/kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\n',
      'base/app-secrets.kmsecret.yaml': secretFile,
      'overlay/kustomization.yaml': 'namespace: team-b\nresources:\n- ../base\n',
      'same/kustomization.yaml': 'namespace: team-b\ngenerators:\n- app-secrets.kmsecret.yaml\n',
      'same/app-secrets.kmsecret.yaml': secretFile,
    });
    for (const kustomization of ['overlay', 'same']) {
      const rendered = await kustomize(join(dir, kustomization));
      expect(rendered.code, rendered.stderr).toBe(0);
      const secret = docs(rendered.stdout)[0] as Doc;
      expect(secret.metadata.namespace).toBe('team-b');
      expect(secret.metadata.annotations['kmsecret.dev/bound-namespace']).toBe('team-a');
      const guard = await checkRendered(rendered.stdout);
      expect(guard.code, guard.stdout + guard.stderr + rendered.stdout).toBe(3);
      expect(guard.stdout).toMatch(
        /Secret team-b\/app-secrets-\S+ metadata\.annotations\["kmsecret\.dev\/bound-namespace"\]: holds values bound to namespace team-a, but the render puts it into namespace team-b/,
      );
      const source = await runCli(['check', join(dir, kustomization)], { env });
      expect(source.code, source.stdout).toBe(3);
      expect(source.stdout).toMatch(
        /app-secrets\.kmsecret\.yaml:\d+ KmsSecret team-b\/app-secrets data\.DB_PASSWORD: value was encrypted as a Secret value for namespace team-a, .*renders it into namespace team-b/,
      );
      expectNoPlaintext(guard.stdout + guard.stderr + source.stdout + source.stderr, plaintexts);
    }
    // The same base without a moving overlay passes both.
    const fine = await kustomize(join(dir, 'base'));
    expect((await checkRendered(fine.stdout)).code).toBe(0);
  });

  it('an overlay that also rewrites the bound-namespace annotation still fails the guard where the pipeline sets KMSECRET_NAMESPACES', async () => {
    const dir = join(root, 'spoofed');
    writeFiles(dir, {
      'base/kustomization.yaml': 'generators:\n- app-secrets.kmsecret.yaml\n',
      'base/app-secrets.kmsecret.yaml': secretFile,
      'overlay/kustomization.yaml': 'namespace: team-b\ncommonAnnotations:\n  kmsecret.dev/bound-namespace: team-b\nresources:\n- ../base\n',
    });
    const rendered = await kustomize(join(dir, 'overlay'));
    expect(rendered.code, rendered.stderr).toBe(0);
    // The annotation alone is fooled (it catches mistakes) …
    expect((await checkRendered(rendered.stdout)).code).toBe(0);
    // … the pipeline's allowlist is not.
    const guard = await runCli(['check', '--rendered', '-'], { env: { ...env, KMSECRET_NAMESPACES: 'team-a' }, stdin: rendered.stdout });
    expect(guard.code).toBe(3);
    expect(guard.stdout).toMatch(
      /Secret team-b\/app-secrets-\S+ metadata\.namespace: is rendered into namespace team-b, which this pipeline does not allow \(KMSECRET_NAMESPACES=team-a\)/,
    );
  });

  it('a transformer in a base whose Secret an overlay moves is caught the same way', async () => {
    const dir = join(root, 'moved-transformer');
    writeFiles(dir, {
      'base/kustomization.yaml': 'namespace: team-a\nresources:\n- app-secrets.kmsecret.yaml\ntransformers:\n- decrypt.yaml\n',
      'base/app-secrets.kmsecret.yaml': secretFile,
      'base/decrypt.yaml': transformerFile,
      'overlay/kustomization.yaml': 'namespace: team-b\nresources:\n- ../base\n',
    });
    const rendered = await kustomize(join(dir, 'overlay'));
    expect(rendered.code, rendered.stderr).toBe(0);
    expect((await checkRendered(rendered.stdout)).code).toBe(3);
    expect((await runCli(['check', join(dir, 'overlay')], { env })).code).toBe(3);
  });

  it("a hand-written previousNames that kustomize's prefixes do not explain renames nothing", async () => {
    const dir = join(root, 'forged');
    writeFiles(dir, {
      'kustomization.yaml': 'namePrefix: x-\nresources:\n- stolen.kmsecret.yaml\ntransformers:\n- decrypt.yaml\n',
      // kustomize appends its own record to the forged one: previousNames db…,stolen; prefixes x-.
      'stolen.kmsecret.yaml': secretFile.replace(
        'name: app-secrets',
        'name: stolen\n  annotations:\n    internal.config.kubernetes.io/previousNames: app-secrets\n    internal.config.kubernetes.io/previousNamespaces: team-a\n    internal.config.kubernetes.io/previousKinds: KmsSecret',
      ),
      'decrypt.yaml': transformerFile,
    });
    const result = await kustomize(dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not as a Secret value for namespace team-a, name x-stolen/);
    expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  });
});

describe('inline env values survive kustomize and kpt byte for byte', () => {
  // Characters YAML readers take for line breaks, or refuse, when they are not escaped.
  const tricky = 'a\u2028b\u2029c\u0001d\ufeffe\tf"g\\h\ni\rj';
  let workload: string;
  const inlineWorkload = async (value: string) => {
    const t = await envTokens(key.provider, key.recipient, { workload: 'web', namespace: 'team-a', values: { TRICKY: value } });
    return yaml({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'team-a', annotations: { 'kmsecret.dev/env-output': 'inline' } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'TRICKY', value: t.TRICKY }] }] } } },
    });
  };
  beforeAll(async () => {
    workload = await inlineWorkload(tricky);
  });
  const valueIn = (doc: Doc | undefined) => doc?.spec.template.spec.containers[0].env[0].value;

  describeWith(['kubectl'], 'through kubectl kustomize', () => {
    it('the transformer writes it so that kustomize reads back the same string', async () => {
      const dir = join(root, 'inline-kustomize');
      writeFiles(dir, {
        'kustomization.yaml': 'resources:\n- web.yaml\ntransformers:\n- decrypt.yaml\n',
        'web.yaml': workload,
        'decrypt.yaml': 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n',
      });
      const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env, cwd: root });
      expect(result.code, result.stderr).toBe(0);
      expect(valueIn(docs(result.stdout).find((d) => d.kind === 'Deployment'))).toBe(tricky);
    });

    it.each([
      ['DEL', 'del\u007fvalue-s3cr3t'],
      ['NEL', 'nel\u0085value-s3cr3t'],
      ['C1', 'c1\u0090value-s3cr3t'],
    ])('a value kustomize cannot carry (%s) is refused by kmsecret, without the value, before kustomize prints it', async (name, bad) => {
      const dir = join(root, `inline-${name}`);
      writeFiles(dir, {
        'kustomization.yaml': 'resources:\n- web.yaml\ntransformers:\n- decrypt.yaml\n',
        'web.yaml': await inlineWorkload(bad),
        'decrypt.yaml': 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n',
      });
      const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env, cwd: root });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/variable TRICKY: the value holds a control character [\s\S]*hint: use the secretRef output/);
      expectNoPlaintext(result.stdout + result.stderr, ['value-s3cr3t']);
    });
  });

  describeWith(['kpt'], 'through kpt', () => {
    it('kpt fn eval -o stdout reads back the same string', async () => {
      const pkg = join(root, 'inline-kpt');
      writeFiles(pkg, { Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: inline\n', 'web.yaml': workload });
      const result = await run('kpt', ['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout'], { env, cwd: root });
      expect(result.code, result.stderr).toBe(0);
      expect(valueIn(parseList(result.stdout).items.find((i) => i.kind === 'Deployment'))).toBe(tricky);
    });
  });
});
