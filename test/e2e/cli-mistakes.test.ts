// Everyday mistakes, each with its own answer: a message that says what and what
// to do, and the exit code of its class (2 usage, 3 bad input, 4 refused) — never
// "internal error". Through the built `kmsecret`, with real git and a real pty.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { editorRuns, editorScript, scriptedEditor } from '../helpers/editor.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, cliBin, fnBin, runCli, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

const dir = tempDir();
let recipient: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const keygen = await runCli(['keygen', '-w', join(dir, 'age.key')]);
  expect(keygen.code, keygen.stderr).toBe(0);
  recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
  env = cleanEnv({ KMSECRET_AGE_KEY_FILE: join(dir, 'age.key'), EDITOR: scriptedEditor });
});

async function created(name: string, ...values: string[]): Promise<string> {
  const file = join(dir, `${name}.kmsecret.yaml`);
  const result = await runCli(['create', name, '-n', 'team-a', '--key', recipient, ...values.flatMap((v) => ['--from-literal', v]), '-w', file], { env });
  expect(result.code, result.stderr).toBe(0);
  return file;
}

async function rendered(file: string): Promise<Record<string, string>> {
  const result = await runFn(resourceList([readFileSync(file, 'utf8')]), env);
  expect(result.code, result.stderr).toBe(0);
  return decodeData(parseList(result.stdout).items[0] as Record<string, any>);
}

describe('an age recipient with a typo', () => {
  it('is found by its checksum, length or letters before anything is encrypted: exit 2, never an internal error', async () => {
    const swapped = `${recipient.slice(0, 10)}${recipient[11]}${recipient[10]}${recipient.slice(12)}`;
    const cases: Array<[string, RegExp]> = [
      [
        recipient[10] === recipient[11] ? `${recipient.slice(0, -1)}${recipient.endsWith('q') ? 'p' : 'q'}` : swapped,
        /has a typo: its checksum does not match/,
      ],
      [recipient.slice(0, -1), /is 61 characters long; an age recipient is 62/],
      [`${recipient.slice(0, 20)}b${recipient.slice(21)}`, /holds "b", which never occurs in an age recipient/],
      [recipient.toUpperCase(), /is in capitals; write it in lowercase/],
    ];
    for (const [key, message] of cases) {
      const result = await runCli(['create', 'x', '-n', 'team-a', '--key', key, '--from-literal', 'A=1'], { env });
      expect(result.code, key).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/\n {2}hint: copy it again from `kmsecret keygen`/);
    }
  });
});

describe('edit without a terminal, with an editor that keeps writing invalid YAML', () => {
  it('gives up after 3 rounds (exit 3), the file unchanged and the temp file gone', async () => {
    const file = await created('edit-loop', 'A=edit-loop-value');
    const before = readFileSync(file, 'utf8');
    const { script, log } = editorScript(dir, 'loop', [{ write: 'data: [never closed\n' }]);
    const result = await runCli(['edit', file], { env: { ...env, EDITOR_SCRIPT: script } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^kmsecret: the edited values are still not valid after 3 rounds \(line \d+: .*\); .* is unchanged\n {2}hint: run kmsecret edit at a terminal/,
    );
    const runs = editorRuns(log);
    expect(runs).toHaveLength(3);
    expect(runs[1]?.text).toMatch(/^# kmsecret: error: /);
    expect(runs.some((r) => existsSync(r.file))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expectNoPlaintext(result.stdout + result.stderr, ['edit-loop-value']);
  });
});

describe('install-plugin run twice', () => {
  it('succeeds when the links already point at kmsecret-fn, and says where it installed; a foreign link needs --force', async () => {
    const home = join(dir, 'plugins');
    const first = await runCli(['install-plugin', '--dir', home], { env });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['install-plugin', '--dir', home], { env });
    expect(second.code, second.stderr).toBe(0);
    const link = join(home, 'kmsecret.dev', 'v1alpha1', 'kmssecret', 'KmsSecret');
    expect(second.stdout).toContain(`${link} -> ${fnBin} (already installed)\n`);
    expect(second.stderr).toBe(`kustomize finds the plugins in ${home} (set KUSTOMIZE_PLUGIN_HOME to it)\n`);
    const viaEnv = await runCli(['install-plugin'], { env: { ...env, KUSTOMIZE_PLUGIN_HOME: home } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stderr).toBe(`kustomize finds the plugins in ${home}\n`);

    const other = join(dir, 'plugins-other');
    const foreign = join(other, 'kmsecret.dev', 'v1alpha1', 'kmssecret', 'KmsSecret');
    mkdirSync(join(other, 'kmsecret.dev', 'v1alpha1', 'kmssecret'), { recursive: true });
    symlinkSync('/usr/bin/true', foreign);
    const refused = await runCli(['install-plugin', '--dir', other], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/exists and points elsewhere\n {2}hint: pass --force/);
    expect((await runCli(['install-plugin', '--dir', other, '--force'], { env })).code).toBe(0);
    expect(readlinkSync(foreign)).toBe(fnBin);
  });
});

describeWith(['git'], 'textconv on a file with merge conflict markers', () => {
  it('git diff of a conflicted KmsSecret shows the markers as they are, and a fingerprint per value', async () => {
    const repo = join(dir, 'conflict');
    const bin = join(dir, 'gitbin');
    mkdirSync(repo, { recursive: true });
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'kmsecret'), `#!/bin/sh\nexec "${process.execPath}" "${cliBin}" "$@"\n`, { mode: 0o755 });
    const gitEnv = {
      ...env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: dir,
      PATH: `${bin}:${process.env.PATH}`,
    };
    const git = (...args: string[]) => {
      const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: gitEnv });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    expect(git('init', '-q', '-b', 'main').code).toBe(0);
    expect((await runCli(['git-setup'], { env: gitEnv, cwd: repo })).code).toBe(0);
    const file = join(repo, 'app.kmsecret.yaml');
    writeFileSync(file, readFileSync(await created('conflict', 'A=base-value', 'B=b-value'), 'utf8'));
    git('add', '.');
    expect(git('commit', '-qm', 'base').code).toBe(0);
    git('checkout', '-qb', 'theirs');
    expect((await runCli(['set', file, 'A=their-value'], { env })).code).toBe(0);
    git('commit', '-qam', 'theirs');
    git('checkout', '-q', 'main');
    expect((await runCli(['set', file, 'A=our-value'], { env })).code).toBe(0);
    git('commit', '-qam', 'ours');
    expect(git('merge', '-q', 'theirs').code).not.toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^<<<<<<< HEAD$/m);

    const shown = await runCli(['textconv', file], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(
      /^<<<<<<< HEAD\n {2}A: kmsecret:v2:age key=age1\S+ use=secret scope=strict datakey=[0-9a-f]{10} value=[0-9a-f]{10}\n=======\n/m,
    );

    const diff = git('diff');
    expect(diff.code, diff.err).toBe(0);
    expect(diff.out).toMatch(/^diff --cc app\.kmsecret\.yaml$/m);
    for (const marker of ['<<<<<<< HEAD', '=======', '>>>>>>> theirs']) expect(diff.out).toContain(marker);
    const changed = diff.out.split('\n').filter((l) => /^[ +-]{2} {2}A: /.test(l));
    expect(changed.length).toBeGreaterThanOrEqual(2);
    for (const line of changed) expect(line).toMatch(/A: kmsecret:v2:age key=age1\S+ use=secret scope=strict datakey=[0-9a-f]{10} value=[0-9a-f]{10}$/);
    expect(diff.out).not.toMatch(/kmsecret:v2:age:[A-Za-z0-9_-]{40}/);
    expect(diff.err).toBe('');
  });
});

describe('empty values, and values ending in a newline', () => {
  it('refuses an empty value unless --allow-empty, naming where it came from', async () => {
    const file = await created('empty', 'A=1');
    writeFileSync(join(dir, 'empty.txt'), '');
    const cases: Array<[string[], string, RegExp]> = [
      [
        ['set', file, 'TOKEN'],
        '',
        /^kmsecret: empty value: TOKEN \(stdin\)\n {2}hint: nothing came on stdin: check the command before the pipe; pass --allow-empty/,
      ],
      [['set', file, '--from-file', `F=${join(dir, 'empty.txt')}`], '', /^kmsecret: empty value: F \(--from-file .*empty\.txt\)\n/],
      [
        ['create', 'e', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=', '--from-literal', 'B='],
        '',
        /^kmsecret: empty values: A \(--from-literal\), B \(--from-literal\)\n/,
      ],
      [['encrypt-value', '--key', recipient, '-n', 'team-a', '--workload', 'web', '--env', 'X'], '', /^kmsecret: empty value: X \(stdin\)\n/],
    ];
    for (const [args, stdin, message] of cases) {
      const result = await runCli(args, { env, stdin });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const allowed = await runCli(['set', file, 'TOKEN', '--allow-empty'], { env, stdin: '' });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(await rendered(file)).toEqual({ A: '1', TOKEN: '' });
  });

  it('keeps a trailing newline from echo, with a warning that says how to leave it out', async () => {
    const file = await created('newline', 'A=1');
    const result = await runCli(['set', file, 'TOKEN'], { env, stdin: 'echoed-t0ken\n' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      `warning: the value of TOKEN from stdin ends with a newline, which is kept as part of it (echo adds one: use printf %s, or echo -n)\n${file}: TOKEN (added)\n`,
    );
    expect((await rendered(file)).TOKEN).toBe('echoed-t0ken\n');
    const printf = await runCli(['set', file, 'OTHER'], { env, stdin: 'printed-t0ken' });
    expect(printf.stderr).toBe(`${file}: OTHER (added)\n`);
  });

  it('stdin gives one value: a second use is refused before anything is read', async () => {
    const file = await created('stdin-twice', 'A=1');
    const before = readFileSync(file, 'utf8');
    const result = await runCli(['set', file, 'X', 'Y'], { env, stdin: 'stdin-value' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'kmsecret: stdin can give one thing, and set … X already reads it: set … Y cannot\n  hint: give the other value with --from-file KEY=PATH\n',
    );
    const mixed = await runCli(['set', file, 'X', '--from-file', 'Z=-'], { env, stdin: 'stdin-value' });
    expect(mixed.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describeWith(['script'], 'at a terminal', () => {
  it('set FILE KEY prompts for the value and does not echo what is typed', async () => {
    const file = await created('tty', 'A=1');
    // script(1) gives the command a real pty; what is written to its stdin is typed at that terminal.
    const child = spawn('script', ['-qfec', `"${process.execPath}" "${cliBin}" set "${file}" TYPED`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let typed = false;
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const onOutput = (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      // Echo is off before the prompt is shown: type once it is there.
      if (!typed && screen.includes('Enter ends it): ')) {
        typed = true;
        child.stdin.write('typed-at-the-tty\r');
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    expect(await closed, screen).toBe(0);
    expect(screen).toMatch(/Value for TYPED \(not shown; Enter ends it\): /);
    expect(screen).toMatch(/TYPED \(added\)/);
    expectNoPlaintext(screen, ['typed-at-the-tty']);
    expect((await rendered(file)).TYPED).toBe('typed-at-the-tty');
  });
});

describe('unset of a key that is not there', () => {
  it('lists the keys there are, with a "did you mean"', async () => {
    const file = await created('unset-miss', 'API_TOKEN=1', 'DB_PASSWORD=2');
    const typo = await runCli(['unset', file, 'API_TOKNE'], { env });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(`kmsecret: ${file} has no key API_TOKNE\n  hint: did you mean API_TOKEN? (keys: API_TOKEN, DB_PASSWORD)\n`);
    const far = await runCli(['unset', file, 'SOMETHING_ELSE'], { env });
    expect(far.stderr).toBe(`kmsecret: ${file} has no key SOMETHING_ELSE\n  hint: its keys: API_TOKEN, DB_PASSWORD\n`);
  });
});

describe('set on a symlink', () => {
  it('writes through to the target: the link stays a link', async () => {
    const target = await created('link-target', 'A=1');
    const link = join(dir, 'link.kmsecret.yaml');
    symlinkSync(target, link);
    const result = await runCli(['set', link, 'B=through-the-link'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(await rendered(target)).toEqual({ A: '1', B: 'through-the-link' });
    expect((await runCli(['unset', link, 'A'], { env })).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await rendered(target)).toEqual({ B: 'through-the-link' });
  });
});

describe('files that are not there, or not files', () => {
  it('an input that does not exist or is a directory is bad input (3); an output is checked before work (2)', async () => {
    const missing = await runCli(['set', join(dir, 'nope.yaml'), 'A=1'], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/nope\.yaml: no such file\n$/);
    const directory = await runCli(['decrypt', dir], { env });
    expect(directory.code).toBe(3);
    expect(directory.stderr).toMatch(/: is a directory, not a file\n$/);
    const keyOut = await runCli(['keygen', '-w', join(dir, 'no', 'such', 'dir', 'age.key')], { env });
    expect(keyOut.code).toBe(2);
    expect(keyOut.stderr).toMatch(/its directory does not exist\n {2}hint: create it first: mkdir -p .*no\/such\/dir\n$/);
  });
});
