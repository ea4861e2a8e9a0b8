// The claims of docs/SECURITY.md about the CLI, one test each: the data-key
// trap (set, edit, rotate --rekey), v1 tokens, shell-safe env output, and the
// smaller leaks (temp files, file modes, echoed arguments, control characters).
// Every test runs the built `kmsecret` and `kmsecret-fn` as a user would.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../functions/crypto/aes-gcm.js';
import { AgeProvider } from '../../functions/providers/age.js';
import type { DataKey } from '../../functions/providers/provider.js';
import { openToken, Sealer } from '../../functions/token/sealer.js';
import { parseToken, type Token } from '../../functions/token/token.js';
import { editorRuns, editorScript, scriptedEditor } from '../helpers/editor.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { cleanEnv, cliBin, run, runCli, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
let identity: string;
let recipient: string;
let env: NodeJS.ProcessEnv;
let age: AgeProvider;

beforeAll(async () => {
  const keyFile = join(dir, 'team.key');
  const keygen = await runCli(['keygen', '-w', keyFile]);
  recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
  identity = readFileSync(keyFile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-')) as string;
  env = cleanEnv({ KMSECRET_AGE_KEY_FILE: keyFile, EDITOR: scriptedEditor });
  age = new AgeProvider({ key: identity, defaultKeyFile: '/nonexistent' });
});

const tokensOf = (text: string): Record<string, Token> =>
  Object.fromEntries([...text.matchAll(/^ {2}([A-Z_]+): (kmsecret:\S+)/gm)].map(([, k, t]) => [k as string, parseToken(t as string) as Token]));

async function render(file: string): Promise<Record<string, string>> {
  const result = await runFn(resourceList([readFileSync(file, 'utf8')]), env);
  expect(result.code, result.stderr).toBe(0);
  return decodeData(parseList(result.stdout).items[0] as Record<string, any>);
}

/** A file whose data key Mallory made, and whose plaintext she kept. */
async function mallorysFile(name: string): Promise<{ file: string; dataKey: DataKey }> {
  const home = { use: 'secret' as const, scope: 'strict' as const, namespace: 'team-a', name };
  const dataKey = await age.generateDataKey(recipient);
  const sealer = new Sealer('age', dataKey, home);
  const file = join(dir, `${name}.kmsecret.yaml`);
  writeFileSync(
    file,
    yaml({
      apiVersion: 'kmsecret.dev/v1alpha1',
      kind: 'KmsSecret',
      metadata: { name, namespace: 'team-a' },
      type: 'Opaque',
      data: { A_OLD: sealer.seal('A_OLD', new TextEncoder().encode('old-value')) },
    }),
  );
  return { file, dataKey };
}

describe('the data-key trap: whoever made a data key cannot read what is added to the file later', () => {
  it('set seals new and changed values under a data key made in its own run', async () => {
    const { file, dataKey } = await mallorysFile('trap-set');
    const result = await runCli(['set', file, 'B_NEW=added-after-mallory'], { env });
    expect(result.code, result.stderr).toBe(0);
    const t = tokensOf(readFileSync(file, 'utf8'));
    expect(t.B_NEW?.wrappedKeyText).not.toBe(t.A_OLD?.wrappedKeyText);
    expect(openToken(t.B_NEW as Token, dataKey.plaintext)).toBeUndefined();
    expect(openToken(t.A_OLD as Token, dataKey.plaintext)).toBeDefined();
    expect(await render(file)).toEqual({ A_OLD: 'old-value', B_NEW: 'added-after-mallory' });
  });

  it('edit does the same for what it changes and adds', async () => {
    const { file, dataKey } = await mallorysFile('trap-edit');
    const { script } = editorScript(dir, 'trap', [
      {
        replace: [
          ['old-value', 'changed-by-alice'],
          ['data:\n', 'data:\n  C_ADDED: added-by-alice\n'],
        ],
      },
    ]);
    const result = await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: script } });
    expect(result.code, result.stderr).toBe(0);
    const t = tokensOf(readFileSync(file, 'utf8'));
    for (const key of ['A_OLD', 'C_ADDED']) expect(openToken(t[key] as Token, dataKey.plaintext), key).toBeUndefined();
    expect(await render(file)).toEqual({ A_OLD: 'changed-by-alice', C_ADDED: 'added-by-alice' });
  });

  it('rotate --rekey seals every value again under one fresh data key: the old ones open nothing, and the render is one call again', async () => {
    const { file, dataKey } = await mallorysFile('trap-rekey');
    expect((await runCli(['set', file, 'B=one'], { env })).code).toBe(0);
    expect((await runCli(['set', file, 'C=two'], { env })).code).toBe(0);
    expect(new Set(Object.values(tokensOf(readFileSync(file, 'utf8'))).map((t) => t.wrappedKeyText)).size).toBe(3);
    const result = await runCli(['rotate', '--rekey', file], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(`${file}: sealed 3 values again under 1 fresh data key\n`);
    const t = tokensOf(readFileSync(file, 'utf8'));
    expect(new Set(Object.values(t).map((x) => x.wrappedKeyText)).size).toBe(1);
    for (const token of Object.values(t)) expect(openToken(token, dataKey.plaintext)).toBeUndefined();
    expect(await render(file)).toEqual({ A_OLD: 'old-value', B: 'one', C: 'two' });
  });
});

describe("a token's key id is not authenticated: the CLI never seals new values for it on the file's word", () => {
  /** The attack: a pull request edits only the headers, adding the attacker as a recipient. */
  const repoint = (text: string, extra: string) =>
    text.replace(/kmsecret:v2:age:([A-Za-z0-9_-]+)/g, (_, header: string) => {
      const json = JSON.parse(Buffer.from(header, 'base64url').toString()) as { keyId: string };
      return `kmsecret:v2:age:${Buffer.from(JSON.stringify({ ...json, keyId: `${json.keyId},${extra}` })).toString('base64url')}`;
    });

  it('set, edit and rotate --rekey refuse a recipient list naming someone not you; diff and check say the header was edited', async () => {
    const mallory = (await runCli(['keygen'], { env })).stderr.match(/age1\S+/)?.[0] as string;
    const file = join(dir, 'repointed.kmsecret.yaml');
    expect((await runCli(['create', 'repointed', '-n', 'team-a', '--key', recipient, '--from-literal', 'DB=hunter2-secret', '-w', file], { env })).code).toBe(
      0,
    );
    const original = join(dir, 'repointed.orig.yaml');
    writeFileSync(original, readFileSync(file, 'utf8'));
    writeFileSync(file, repoint(readFileSync(file, 'utf8'), mallory));
    const before = readFileSync(file, 'utf8');

    const set = await runCli(['set', file, 'NEW=added-later'], { env });
    const rekey = await runCli(['rotate', '--rekey', file], { env });
    const { script } = editorScript(dir, 'repointed', [{ replace: [['hunter2-secret', 'changed']] }]);
    const edit = await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: script } });
    for (const result of [set, rekey, edit]) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/its tokens name a recipient that none of your identities is[\s\S]*hint: pass --(to-)?key/);
      expectNoPlaintext(result.stdout + result.stderr, ['hunter2-secret', 'added-later']);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);

    const diffed = await runCli(['diff', original, file], { env });
    expect(diffed.stdout).toMatch(/! DB \(header edited: same data key and value under another key id; kmsecret never writes this\)/);
    const checked = await runCli(['check', file], { env });
    expect(checked.code).toBe(3);
    expect(checked.stdout).toMatch(/data\.DB: value's token: its header lists 2 recipients, but its data key is encrypted to 1: the header was edited/);
    // Naming the recipients yourself works, and Mallory is not among them.
    expect((await runCli(['set', file, 'NEW=added-later', '--key', recipient], { env })).code).toBe(0);
  });
});

/** A token of format v1 (kmsecret 0.1), sealed the way 0.1 sealed it. */
async function v1Token(
  binding: { scope: string; namespace: string; name: string; key: string },
  value: string,
  dataKey?: DataKey,
): Promise<{ token: string; dataKey: DataKey }> {
  const key = dataKey ?? (await age.generateDataKey(recipient));
  const header = Buffer.from(JSON.stringify({ keyId: recipient, ...binding })).toString('base64url');
  const aad = new TextEncoder().encode(`kmsecret:v1:${JSON.stringify([binding.scope, binding.namespace, binding.name, binding.key])}`);
  const sealed = seal(key.plaintext, new TextEncoder().encode(value), aad);
  return { token: `kmsecret:v1:age:${header}:${Buffer.from(key.wrapped).toString('base64url')}:${Buffer.from(sealed).toString('base64url')}`, dataKey: key };
}

describe('v1 tokens', () => {
  it('kmsecret-fn refuses them, saying how to convert; rotate --rekey converts a file, checking each token where it sits', async () => {
    const a = await v1Token({ scope: 'strict', namespace: 'team-a', name: 'old', key: 'A' }, 'v1-value-a');
    const b = await v1Token({ scope: 'strict', namespace: 'team-a', name: 'old', key: 'B' }, 'v1-value-b', a.dataKey);
    const file = join(dir, 'old.kmsecret.yaml');
    writeFileSync(
      file,
      `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecret\nmetadata:\n  name: old\n  namespace: team-a\ndata:\n  A: ${a.token}\n  B: ${b.token}\n`,
    );
    const refused = await runFn(resourceList([readFileSync(file, 'utf8')]), env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /data\.A: value is a v1 token, which this kmsecret no longer decrypts .*\n {2}hint: convert the file once with `kmsecret rotate --rekey FILE`/,
    );
    expectNoPlaintext(refused.stdout + refused.stderr, ['v1-value-a', 'v1-value-b']);
    const plainRotate = await runCli(['rotate', file, '--to-key', recipient], { env });
    expect(plainRotate.code).toBe(3);
    expect(plainRotate.stderr).toMatch(/is a v1 token, which only --rekey converts/);

    const misplaced = join(dir, 'misplaced.kmsecret.yaml');
    writeFileSync(misplaced, readFileSync(file, 'utf8').replace('name: old', 'name: elsewhere'));
    const refusedRekey = await runCli(['rotate', '--rekey', misplaced], { env });
    expect(refusedRekey.code).toBe(3);
    expect(refusedRekey.stderr).toMatch(/v1 token written for another namespace, name or key than where it sits/);

    const converted = await runCli(['rotate', '--rekey', file], { env });
    expect(converted.code, converted.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/kmsecret:v1/);
    expect(await render(file)).toEqual({ A: 'v1-value-a', B: 'v1-value-b' });
  });
});

describe('decrypt -o env is safe to source', () => {
  it('gives back exactly each value, and runs nothing', async () => {
    const marker = join(dir, 'pwned');
    const values: Record<string, string> = {
      SUBSHELL: `$(touch ${marker})`,
      BACKTICKS: `\`touch ${marker}\``,
      QUOTES: `it's "quoted" \\ back'slash`,
      VARIABLE: '$HOME and ${PATH}',
      NEWLINES: 'line one\nline two\n',
      PLAIN: 'simple-value_1.2',
      EMPTY: '',
    };
    const args = ['create', 'shell', '-n', 'team-a', '--key', recipient, '--allow-empty', '-w', join(dir, 'shell.kmsecret.yaml')];
    for (const [k, v] of Object.entries(values)) {
      writeFileSync(join(dir, `shell.${k}`), v);
      args.push('--from-file', `${k}=${join(dir, `shell.${k}`)}`);
    }
    expect((await runCli(args, { env })).code).toBe(0);
    const out = await runCli(['decrypt', join(dir, 'shell.kmsecret.yaml'), '-o', 'env', '-w', join(dir, 'shell.env')], { env });
    expect(out.code, out.stderr).toBe(0);
    for (const [k, v] of Object.entries(values)) {
      const sourced = await run('sh', ['-c', `. "$1"; printf %s "$${k}"`, 'sh', join(dir, 'shell.env')], { env: cleanEnv() });
      expect(sourced.code, sourced.stderr).toBe(0);
      expect(sourced.stdout, k).toBe(v);
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('smaller leaks', () => {
  it('no message echoes an argument that may be the secret', async () => {
    const file = join(dir, 'echo.kmsecret.yaml');
    expect((await runCli(['create', 'echo', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1', '-w', file], { env })).code).toBe(0);
    const secrets = ['hunter2 with spaces!', 'p@ss:w0rd#', identity, 'sekrit-no-equals', 'bad key'];
    const runs = [
      await runCli(['set', file, 'hunter2 with spaces!'], { env }),
      await runCli(['set', file, 'p@ss:w0rd#=x'], { env }),
      await runCli(['create', 'x', '-n', 'team-a', '--key', identity, '--from-literal', 'A=1'], { env }),
      await runCli(['create', 'x', '-n', 'team-a', '--key', recipient, '--from-literal', 'sekrit-no-equals'], { env }),
      await runCli(['create', 'x', '-n', 'team-a', '--key', recipient, '--from-literal', 'bad key=value'], { env }),
      await runCli(['unset', file, 'p@ss:w0rd#'], { env }),
    ];
    for (const result of runs) {
      expect(result.code, result.stderr).toBe(2);
      expectNoPlaintext(result.stdout + result.stderr, secrets);
    }
    expect(runs[2]?.stderr).toMatch(/--key got an age identity, which is a secret key\n {2}hint: pass its recipient/);
  });

  it('files holding plaintext or an identity are 0600, even when --force replaces a file of another mode', async () => {
    const keyOut = join(dir, 'replaced.key');
    writeFileSync(keyOut, 'old');
    chmodSync(keyOut, 0o644);
    expect((await runCli(['keygen', '-w', keyOut, '--force'], { env })).code).toBe(0);
    expect(statSync(keyOut).mode & 0o777).toBe(0o600);
    const file = join(dir, 'modes.kmsecret.yaml');
    expect((await runCli(['create', 'modes', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=plain', '-w', file], { env })).code).toBe(0);
    const plainOut = join(dir, 'modes.out');
    writeFileSync(plainOut, 'old');
    chmodSync(plainOut, 0o644);
    expect((await runCli(['decrypt', file, '-w', plainOut, '--force'], { env })).code).toBe(0);
    expect(statSync(plainOut).mode & 0o777).toBe(0o600);
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    it(`edit removes its temp file on ${signal}`, async () => {
      const file = join(dir, `sig-${signal}.kmsecret.yaml`);
      expect(
        (
          await runCli(['create', `sig-${signal.toLowerCase()}`, '-n', 'team-a', '--key', recipient, '--from-literal', 'A=edit-signal-value', '-w', file], {
            env,
          })
        ).code,
      ).toBe(0);
      const release = join(dir, `sig-${signal}.release`);
      const { script, log } = editorScript(dir, `sig-${signal}`, [{ waitFor: release }]);
      const child = spawn(process.execPath, [cliBin, 'edit', file], { env: { ...env, EDITOR_SCRIPT: script }, stdio: 'ignore' });
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      while (!existsSync(log) || editorRuns(log).length === 0) await new Promise((r) => setTimeout(r, 20));
      const tempFile = editorRuns(log)[0]?.file as string;
      expect(existsSync(tempFile)).toBe(true);
      child.kill(signal);
      await closed;
      writeFileSync(release, '');
      expect(existsSync(tempFile)).toBe(false);
    });
  }

  it('edit removes what an edit killed outright (SIGKILL) left behind, at its next start', async () => {
    const root = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    // A pid that is not running: the kernel's limit is far below it.
    const stale = join(root, 'kmsecret-edit-4194303999-abcdef');
    mkdirSync(stale, { mode: 0o700 });
    writeFileSync(join(stale, 'app.yaml'), 'data:\n  A: left-behind-plaintext\n', { mode: 0o600 });
    const file = join(dir, 'stale.kmsecret.yaml');
    expect((await runCli(['create', 'stale', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1', '-w', file], { env })).code).toBe(0);
    const { script } = editorScript(dir, 'stale', [{}]);
    expect((await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: script } })).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
  });

  it('check follows kustomizations only inside their repository: a pull request cannot make it quote files elsewhere', async () => {
    const repo = join(dir, 'repo');
    const outside = join(dir, 'outside');
    mkdirSync(join(repo, 'app'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    await run('git', ['init', '-q', repo]);
    writeFileSync(join(outside, 'kustomization.yaml'), 'resources:\n- private.yaml\n');
    writeFileSync(
      join(outside, 'private.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  OUTSIDE_PRIVATE_NAME: a\n  OUTSIDE_PRIVATE_NAME: b\n',
    );
    writeFileSync(join(repo, 'app', 'kustomization.yaml'), `namespace: team-a\nresources:\n- ../../outside\n- ${outside}\n`);
    const checked = await runCli(['check', join(repo, 'app')], { env });
    expect(checked.stdout + checked.stderr).not.toMatch(/OUTSIDE_PRIVATE_NAME|private\.yaml/);
  });

  it('no message holds a raw control character or a line that starts a CI command', async () => {
    const evil = join(dir, 'evil\n::error::pwned\u001b[31m');
    mkdirSync(evil);
    const header = Buffer.from(
      JSON.stringify({ keyId: `${recipient}\n::error::x\u001b[2J`, use: 'secret', scope: 'strict', namespace: 'team-a', name: 'e', key: 'A' }),
    ).toString('base64url');
    writeFileSync(
      join(evil, 'e.kmsecret.yaml'),
      `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecret\nmetadata:\n  name: e\n  namespace: team-a\ndata:\n  A: kmsecret:v2:age:${header}:AAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`,
    );
    const checked = await runCli(['check', evil], { env });
    const fn = await runFn(resourceList([readFileSync(join(evil, 'e.kmsecret.yaml'), 'utf8')]), env);
    const textconv = await runCli(['textconv', join(evil, 'e.kmsecret.yaml')], { env });
    for (const result of [checked, fn, textconv]) {
      const all = result.stdout + result.stderr;
      expect(all).not.toMatch(/\u001b/);
      expect(all.split('\n').some((line) => line.startsWith('::'))).toBe(false);
    }
    expect(checked.code).toBe(3);
    expect(checked.stdout).toMatch(
      /evil\\x0a::error::pwned\\x1b\[31m\/e\.kmsecret\.yaml:7 KmsSecret team-a\/e data\.A: value has a header whose key is not age recipients \(age1…\)/,
    );
  });
});
