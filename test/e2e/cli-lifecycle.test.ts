// The daily CLI: edit, decrypt, rotate, check, diff — through the built
// executable, against age and the KMS test server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { editorRuns, editorScript as scriptedEditorScript, scriptedEditor } from '../helpers/editor.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { writeFiles } from '../helpers/packages.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, cliBin, runCli, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

const dir = tempDir();
let recipient: string;
let env: NodeJS.ProcessEnv;
const editor = scriptedEditor;

beforeAll(async () => {
  const keyFile = join(dir, 'age.key');
  const keygen = await runCli(['keygen', '-w', keyFile]);
  recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
  env = cleanEnv({ KMSECRET_AGE_KEY_FILE: keyFile, EDITOR: editor });
});

const values = { API_TOKEN: 'lc-api-t0ken', DB_PASSWORD: 'lc-db-passw0rd', NOTES: 'line one\nline two\n' };
const plaintexts = ['lc-api-t0ken', 'lc-db-passw0rd', 'line one'];

async function freshFile(name: string, extraEnv: NodeJS.ProcessEnv = env, key = recipient): Promise<string> {
  const path = join(dir, `${name}.kmsecret.yaml`);
  const files: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    writeFileSync(join(dir, `${name}.${k}`), v);
    files.push('--from-file', `${k}=${join(dir, `${name}.${k}`)}`);
  }
  const created = await runCli(['create', name, '-n', 'team-a', '--key', key, ...files], { env: extraEnv });
  expect(created.code, created.stderr).toBe(0);
  writeFileSync(path, `# ${name}: the web app's secrets\n${created.stdout.replace(/^( {2}DB_PASSWORD: .*)$/m, '$1 # rotate yearly')}`);
  return path;
}

async function rendered(path: string, renderEnv = env): Promise<Record<string, string>> {
  const result = await runFn(resourceList([readFileSync(path, 'utf8')]), renderEnv);
  expect(result.code, result.stderr).toBe(0);
  return decodeData(parseList(result.stdout).items[0] as Record<string, any>);
}

function lineDiff(a: string, b: string): { added: string[]; removed: string[] } {
  const left = a.split('\n');
  const right = b.split('\n');
  return { added: right.filter((l) => !left.includes(l)), removed: left.filter((l) => !right.includes(l)) };
}

const editorScript = (name: string, steps: object[]) => scriptedEditorScript(dir, name, steps);

describe('edit', () => {
  it('re-encrypts only what changed, adds and removes keys, keeps every other byte; the temp file is 0600 and gone', async () => {
    const file = await freshFile('edit-ok');
    const before = readFileSync(file, 'utf8');
    const { script, log } = editorScript('ok', [
      {
        replace: [
          ['lc-api-t0ken', 'lc-api-NEW'],
          ['  NOTES: |', '  ADDED: new-key\n  NOTES: |'],
        ],
      },
    ]);
    const result = await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: script } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(`${file}: ADDED (added), API_TOKEN (changed)\n`);
    const [seen] = editorRuns(log);
    expect(seen?.mode).toBe(0o600);
    expect(seen?.text).toMatch(/^# kmsecret edit: team-a\/edit-ok/);
    expect(seen?.text).toContain('API_TOKEN: lc-api-t0ken');
    expect(existsSync(seen?.file as string)).toBe(false);
    const after = readFileSync(file, 'utf8');
    const changes = lineDiff(before, after);
    expect(changes.added.map((l) => l.split(':')[0])).toEqual(['  ADDED', '  API_TOKEN']);
    expect(changes.removed.map((l) => l.split(':')[0])).toEqual(['  API_TOKEN']);
    expect(after).toContain('# rotate yearly');
    expect(await rendered(file)).toEqual({ ...values, API_TOKEN: 'lc-api-NEW', ADDED: 'new-key' });
    expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  });

  it('reopens the editor on a YAML error, with the error shown, and keeps the edit', async () => {
    const file = await freshFile('edit-yaml');
    const { script, log } = editorScript('yaml', [
      {
        replace: [
          ['lc-api-t0ken', 'lc-api-FIXED'],
          ['data:', 'data: ['],
        ],
      },
      { replace: [['data: [', 'data:']] },
    ]);
    const result = await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: script } });
    expect(result.code, result.stderr).toBe(0);
    const runs = editorRuns(log);
    expect(runs).toHaveLength(2);
    expect(runs[1]?.text).toMatch(/^# kmsecret: error: .+\n# Fix it and save again/);
    expect(runs[1]?.text).toContain('lc-api-FIXED');
    expect((await rendered(file)).API_TOKEN).toBe('lc-api-FIXED');
  });

  it('leaves the file alone when the editor fails, or the edit is cancelled or changes nothing', async () => {
    const file = await freshFile('edit-fail');
    const before = readFileSync(file, 'utf8');
    const failing = editorScript('fail', [{ replace: [['lc-api-t0ken', 'x']], exit: 3 }]);
    const failed = await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: failing.script } });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/the editor exited with status 3; .* is unchanged/);
    expect(existsSync(editorRuns(failing.log)[0]?.file as string)).toBe(false);
    const cancel = editorScript('cancel', [{ write: '' }]);
    expect((await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: cancel.script } })).stderr).toMatch(/edit cancelled, unchanged/);
    const same = editorScript('same', [{}]);
    expect((await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: same.script } })).stderr).toMatch(/no changes/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('removes the temp file on Ctrl-C', async () => {
    const file = await freshFile('edit-int');
    const before = readFileSync(file, 'utf8');
    const release = join(dir, 'edit-int.release');
    const { script, log } = editorScript('int', [{ waitFor: release }]);
    const child = spawn(process.execPath, [cliBin, 'edit', file], { env: { ...env, EDITOR_SCRIPT: script }, stdio: 'ignore' });
    const closed = new Promise<number | null>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 130 : null))));
    // The editor is open (it logged the file it was given) and stays open until released.
    while (!existsSync(log) || editorRuns(log).length === 0) await new Promise((r) => setTimeout(r, 20));
    const tempFile = editorRuns(log)[0]?.file as string;
    expect(existsSync(tempFile)).toBe(true);
    child.kill('SIGINT');
    const code = await closed;
    writeFileSync(release, '');
    expect(code).not.toBe(0);
    expect(existsSync(tempFile)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('needs credentials that decrypt, and says so', async () => {
    const file = await freshFile('edit-nokey');
    const result = await runCli(['edit', file], { env: cleanEnv({ EDITOR: editor, HOME: dir }) });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/cannot decrypt the values to edit .*\n\s+hint: edit needs credentials/);
  });
});

describe('decrypt', () => {
  it('prints the plain Secret as yaml, json or env, and writes -w 0600 without overwriting', async () => {
    const file = await freshFile('dec');
    const yaml = await runCli(['decrypt', file], { env });
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toMatch(/^apiVersion: v1\nkind: Secret\n/);
    const json = JSON.parse((await runCli(['decrypt', file, '-o', 'json'], { env })).stdout);
    expect(decodeData(json)).toEqual(values);
    const envOut = await runCli(['decrypt', file, '-o', 'env'], { env });
    expect(envOut.stdout).toBe("API_TOKEN=lc-api-t0ken\nDB_PASSWORD=lc-db-passw0rd\nNOTES='line one\nline two\n'\n");
    const out = join(dir, 'dec.out');
    expect((await runCli(['decrypt', file, '-w', out], { env })).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const again = await runCli(['decrypt', file, '-w', out], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; refusing to overwrite it/);
    expect((await runCli(['decrypt', file, '-w', out, '--force'], { env })).code).toBe(0);
  });

  it('decrypts env values of workloads in a file too', async () => {
    const token = await runCli(['encrypt-value', '--key', recipient, '-n', 'team-a', '--workload', 'web', '--env', 'X'], { env, stdin: 'lc-env-v4lue' });
    const file = join(dir, 'workload.yaml');
    writeFileSync(
      file,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\n  annotations:\n    kmsecret.dev/env-output: inline\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: X\n          value: ${token.stdout.trim()}\n`,
    );
    const json = JSON.parse((await runCli(['decrypt', file, '-o', 'json'], { env })).stdout);
    expect(json.spec.template.spec.containers[0].env[0]).toEqual({ name: 'X', value: 'lc-env-v4lue' });
  });

  it('fails with exit 4 and no plaintext without the key', async () => {
    const file = await freshFile('dec-nokey');
    const result = await runCli(['decrypt', file], { env: cleanEnv({ HOME: dir }) });
    expect(result.code).toBe(4);
    expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  });
});

describe('rotate', () => {
  const kms = useKmsServer();
  beforeEach(() => kms.server().reset());

  it('AWS to AWS uses ReEncrypt: no Decrypt call, one line per value changes, the values stay', async () => {
    kms.server().createKey({ alias: 'alias/old' });
    const newKey = kms.server().createKey({ alias: 'alias/new' });
    const aws = awsEnv(kms.server().endpoint);
    const file = await freshFile('rot-aws', aws, 'alias/old');
    const before = readFileSync(file, 'utf8');
    kms.server().reset();
    const dry = await runCli(['rotate', file, '--to-key', 'alias/new', '--dry-run'], { env: aws });
    expect(dry.stderr).toMatch(/would rotate 3 values \(1 data key\) to alias\/new/);
    expect(kms.server().count()).toBe(0);
    const result = await runCli(['rotate', file, '--to-key', 'alias/new'], { env: aws });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/rotated 3 values \(1 data key\) to alias\/new/);
    expect(kms.server().count('Decrypt')).toBe(0);
    expect(kms.server().count('ReEncrypt')).toBe(1);
    const after = readFileSync(file, 'utf8');
    const changes = lineDiff(before, after);
    expect(changes.added).toHaveLength(3);
    expect(changes.removed).toHaveLength(3);
    expect(after).toContain('# rotate yearly');
    // the sealed values are the same bytes: only the key and the wrapped data key moved
    const sealed = (text: string) => [...text.matchAll(/kmsecret:v2:\S+/g)].map((m) => m[0].split(':').pop());
    expect(sealed(after)).toEqual(sealed(before));
    expect(after).toContain(Buffer.from(`{"keyId":"${newKey}"`).toString('base64url').slice(0, 30));
    expect(await rendered(file, aws)).toEqual(values);
    writeFileSync(join(dir, 'rot-aws.before.yaml'), before);
    const diffed = await runCli(['diff', join(dir, 'rot-aws.before.yaml'), file], { env: cleanEnv() });
    expect(diffed.stdout).toBe(
      'KmsSecret team-a/rot-aws\n  ~ API_TOKEN (re-wrapped: same value, new key)\n  ~ DB_PASSWORD (re-wrapped: same value, new key)\n  ~ NOTES (re-wrapped: same value, new key)\n',
    );
  });

  it('decrypt, edit and check --decrypt work the same with AWS KMS (one Decrypt per data key)', async () => {
    kms.server().createKey({ alias: 'alias/life' });
    const aws = awsEnv(kms.server().endpoint, { EDITOR: editor });
    const file = await freshFile('aws-life', aws, 'alias/life');
    kms.server().reset();
    const decrypted = await runCli(['decrypt', file, '-o', 'env'], { env: aws });
    expect(decrypted.stdout).toMatch(/^API_TOKEN=lc-api-t0ken\n/);
    expect(kms.server().count('Decrypt')).toBe(1);
    const { script } = editorScript('aws', [{ replace: [['lc-db-passw0rd', 'lc-db-NEW']] }]);
    const edited = await runCli(['edit', file], { env: { ...aws, EDITOR_SCRIPT: script } });
    expect(edited.code, edited.stderr).toBe(0);
    // The changed value gets a data key made by this edit, never the file's old one.
    expect(kms.server().count('GenerateDataKey')).toBe(1);
    expect((await rendered(file, aws)).DB_PASSWORD).toBe('lc-db-NEW');
    const checked = await runCli(['check', '--decrypt', file], { env: aws });
    expect(checked.code, checked.stdout).toBe(0);
    kms.server().policy = () => false;
    const denied = await runCli(['check', '--decrypt', file], { env: aws });
    kms.server().policy = undefined;
    expect(denied.code).toBe(4);
    expect(denied.stdout).toMatch(/AWS denied kms:Decrypt/);
  });

  it('age to age re-wraps the data key for the new recipients', async () => {
    const other = join(dir, 'other.key');
    const keygen = await runCli(['keygen', '-w', other]);
    const newRecipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
    const file = await freshFile('rot-age');
    const result = await runCli(['rotate', file, '--to-key', newRecipient], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(await rendered(file, cleanEnv({ KMSECRET_AGE_KEY_FILE: other }))).toEqual(values);
    const oldKey = await runFn(resourceList([readFileSync(file, 'utf8')]), env);
    expect(oldKey.code).toBe(4);
  });
});

describe('check (offline)', () => {
  const good = async (name: string) => readFileSync(await freshFile(name), 'utf8');
  const checkDir = join(dir, 'check');

  it('passes a clean tree, and finds each kind of defect with FILE:LINE', async () => {
    const ok = await good('ck-ok');
    writeFiles(join(checkDir, 'clean'), {
      'app.kmsecret.yaml': ok,
      'kustomization.yaml': 'namespace: team-a\ngenerators:\n- app.kmsecret.yaml\n',
      'README.md': '# not yaml',
    });
    const clean = await runCli(['check', join(checkDir, 'clean')], { env: cleanEnv() });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stderr).toMatch(/kmsecret check: ok \(2 files, 2 resources, 3 values\)/);

    const token = /API_TOKEN: (\S+)/.exec(ok)?.[1] as string;
    writeFiles(join(checkDir, 'broken'), {
      'moved.kmsecret.yaml': ok.replace('name: ck-ok', 'name: renamed'),
      'truncated.kmsecret.yaml': ok.replace(token, token.slice(0, 100)),
      'schema.kmsecret.yaml': ok.replace('type: Opaque', 'type: Opaque\nstringData:\n  x: y'),
      'syntax.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [unclosed\n',
      'stray.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\ndata:\n  A: ${token}\n`,
      'plain-secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: oops\nstringData:\n  password: hunter2\n',
      'overlay/kustomization.yaml': 'namespace: team-b\ngenerators:\n- app.kmsecret.yaml\n',
      'overlay/app.kmsecret.yaml': ok,
    });
    const result = await runCli(['check', join(checkDir, 'broken')], { env: cleanEnv() });
    expect(result.code).toBe(3);
    const out = result.stdout;
    expect(out).toMatch(
      /moved\.kmsecret\.yaml:\d+ KmsSecret team-a\/renamed data\.API_TOKEN: value was encrypted as a Secret value for namespace team-a, name ck-ok/,
    );
    expect(out).toMatch(/truncated\.kmsecret\.yaml:9 KmsSecret team-a\/ck-ok data\.API_TOKEN: value is truncated or malformed/);
    expect(out).toMatch(/schema\.kmsecret\.yaml:\d+ KmsSecret team-a\/ck-ok stringData: KmsSecret field stringData is not a field of this kind/);
    expect(out).toMatch(/syntax\.yaml:\d+: is not valid YAML/);
    expect(out).toMatch(/stray\.yaml:6 ConfigMap stray data\.A: holds a kmsecret token where kmsecret-fn does not decrypt/);
    expect(out).toMatch(/plain-secret\.yaml:\d+ Secret oops stringData: is a plain Secret with stringData/);
    expect(out).toMatch(
      /overlay\/app\.kmsecret\.yaml:9 KmsSecret team-b\/ck-ok data\.API_TOKEN: value was encrypted as a Secret value for namespace team-a, .*not as a Secret value for namespace team-b, .*\(.*overlay\/kustomization\.yaml renders it into namespace team-b\)/,
    );
    expectNoPlaintext(out + result.stderr, ['hunter2']);
    const json = JSON.parse((await runCli(['check', join(checkDir, 'broken'), '--output', 'json'], { env: cleanEnv() })).stdout);
    expect(json.ok).toBe(false);
    expect(json.findings.length).toBeGreaterThanOrEqual(7);
    expect(json.findings[0]).toHaveProperty('file');
  });

  it('--decrypt proves every value decrypts with the current credentials', async () => {
    writeFiles(join(checkDir, 'dec'), { 'a.kmsecret.yaml': await good('ck-dec') });
    const ok = await runCli(['check', '--decrypt', join(checkDir, 'dec')], { env });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stderr).toMatch(/all decrypted/);
    const stranger = await runCli(['check', '--decrypt', join(checkDir, 'dec')], { env: cleanEnv({ HOME: dir }) });
    expect(stranger.code).toBe(4);
    expect(stranger.stdout).toMatch(/no age identity/);
  });
});

describeWith(['kubectl'], 'check --rendered', () => {
  it('passes a real render and fails when the plugin did not run (kubectl kustomize skipping an exec function)', async () => {
    const ok = readFileSync(await freshFile('ck-render'), 'utf8');
    const base = join(dir, 'rendered');
    writeFiles(base, {
      'kustomization.yaml': 'resources:\n- app.kmsecret.yaml\ntransformers:\n- decrypt.yaml\n',
      'app.kmsecret.yaml': ok,
      'decrypt.yaml':
        'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: kmsecret-fn\n',
    });
    const skipped = spawnSync('kubectl', ['kustomize', '--enable-alpha-plugins', base], { encoding: 'utf8' });
    expect(skipped.status).toBe(0);
    const caught = await runCli(['check', '--rendered'], { env, stdin: skipped.stdout });
    expect(caught.code).toBe(3);
    expect(caught.stdout).toMatch(/KmsSecret team-a\/ck-render: a KmsSecret is in the rendered output\n\s+hint: the kmsecret plugin did not run/);
    expect(caught.stdout).toMatch(/data\.API_TOKEN: a kmsecret token is in the rendered output/);

    const real = await runFn(resourceList([ok]), env);
    const fine = await runCli(['check', '--rendered'], { env, stdin: real.stdout });
    expect(fine.code, fine.stdout).toBe(0);
  });

  it('fails on a placeholder render unless --allow-placeholder, and on shush ciphertexts left in env', async () => {
    const ok = readFileSync(await freshFile('ck-ph'), 'utf8');
    const placeholder = await runFn(resourceList([ok]), cleanEnv({ KMSECRET_PLACEHOLDER: '1' }));
    const refused = await runCli(['check', '--rendered'], { env, stdin: placeholder.stdout });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/is a placeholder render: its values are fakes/);
    expect((await runCli(['check', '--rendered', '--allow-placeholder'], { env, stdin: placeholder.stdout })).code).toBe(0);
    const shush =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: KMS_ENCRYPTED_DB\n          value: AQICAHhEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE==\n';
    const leftover = await runCli(['check', '--rendered', '-'], { env, stdin: shush });
    expect(leftover.stdout).toMatch(/env KMS_ENCRYPTED_DB is still a shush ciphertext/);
  });
});

describe('diff', () => {
  it('lists added, changed, re-wrapped and removed keys across real git history, without decrypting', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => {
      const r = spawnSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
          PATH: `${join(dir, 'gitbin')}:${process.env.PATH}`,
        },
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    git('init', '-q');
    const file = join(repo, 'app.kmsecret.yaml');
    writeFileSync(file, readFileSync(await freshFile('diff'), 'utf8'));
    git('add', '.');
    git('commit', '-qm', 'v1');
    expect((await runCli(['set', file, 'API_TOKEN=changed', 'NEW_KEY=added'], { env })).code).toBe(0);
    expect((await runCli(['unset', file, 'NOTES'], { env })).code).toBe(0);
    git('commit', '-qam', 'v2');
    const result = await runCli(['diff', 'HEAD~1:app.kmsecret.yaml', 'app.kmsecret.yaml'], { env: cleanEnv(), cwd: repo });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('KmsSecret team-a/diff\n  + NEW_KEY\n  ~ API_TOKEN\n  - NOTES\n    (1 unchanged)\n');
    const json = JSON.parse(
      (await runCli(['diff', 'HEAD~1:app.kmsecret.yaml', 'HEAD:app.kmsecret.yaml', '-o', 'json'], { env: cleanEnv(), cwd: repo })).stdout,
    );
    expect(json.resources[0]).toMatchObject({ added: ['NEW_KEY'], changed: ['API_TOKEN'], removed: ['NOTES'], unchanged: 1 });

    // git diff through the textconv driver: one fingerprint line per changed value.
    writeFiles(join(dir, 'gitbin'), { kmsecret: `#!/bin/sh\nexec ${process.execPath} ${cliBin} "$@"\n` });
    spawnSync('chmod', ['+x', join(dir, 'gitbin', 'kmsecret')]);
    expect((await runCli(['git-setup'], { env: cleanEnv(), cwd: repo })).code).toBe(0);
    expect(readFileSync(join(repo, '.gitattributes'), 'utf8')).toBe('*.kmsecret.yaml diff=kmsecret\n');
    const patch = git('diff', 'HEAD~1', 'HEAD', '--', 'app.kmsecret.yaml');
    const changed = patch.split('\n').filter((l) => /^[+-] /.test(l));
    expect(changed.every((l) => / key=age1\S+ use=secret scope=strict datakey=[0-9a-f]{10} value=[0-9a-f]{10}/.test(l))).toBe(true);
    expect(changed.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['-  API_TOKEN', '+  API_TOKEN', '-  NOTES', '+  NEW_KEY']);
  });
});
