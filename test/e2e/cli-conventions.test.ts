// Conventions every command keeps, as users with kubectl, kubeseal and sops habits
// expect them: --help with an example (and the README's command reference saying the
// same), --version, -o as an output format and -w/--output-file as the one way to
// write a file, names checked as Kubernetes checks them, messages that name the flag
// typed, sorted keys, diff --exit-code, and a plain Secret converted by create.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, runCli, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const dir = tempDir();
let recipient: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const keygen = await runCli(['keygen', '-w', join(dir, 'age.key')]);
  expect(keygen.code, keygen.stderr).toBe(0);
  recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
  env = cleanEnv({ KMSECRET_AGE_KEY_FILE: join(dir, 'age.key') });
});

async function rendered(text: string): Promise<Record<string, string>> {
  const result = await runFn(resourceList([text]), env);
  expect(result.code, result.stderr).toBe(0);
  return decodeData(parseList(result.stdout).items[0] as Record<string, any>);
}

async function created(name: string, ...values: string[]): Promise<string> {
  const file = join(dir, `${name}.kmsecret.yaml`);
  const result = await runCli(['create', name, '-n', 'team-a', '--key', recipient, ...values.flatMap((v) => ['--from-literal', v]), '-w', file], { env });
  expect(result.code, result.stderr).toBe(0);
  return file;
}

describe('kmsecret conventions', async () => {
  const overview = await runCli(['--help']);
  const names = [...overview.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1] as string);

  it('lists every command', () => {
    expect(names).toEqual([
      'keygen',
      'create',
      'set',
      'unset',
      'edit',
      'decrypt',
      'rotate',
      'check',
      'diff',
      'encrypt-value',
      'install-plugin',
      'git-setup',
      'textconv',
    ]);
  });

  it.each(names)('%s --help shows usage and an example', async (name) => {
    const result = await runCli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: kmsecret /);
    expect(result.stdout).toMatch(/\nExamples?:\n {2}\S/);
  });

  it("the README's command reference names every flag of every command's --help, and no other", async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Commands\n'), readme.indexOf('\n### Exit codes\n'));
    for (const name of names) {
      const help = (await runCli([name, '--help'])).stdout;
      const block = help.slice(help.indexOf('\nFlags:\n'), help.search(/\nExamples?:\n/));
      // Each flag as --help lists it: its long name, and its short one where it has one.
      const helpFlags = [...block.matchAll(/^ {2}(?:(-[a-z]), )?\s*(--[a-z-]+)/gm)].map((m) => ({ short: m[1], long: m[2] as string }));
      const rows = section.split('\n').filter((line) => line.startsWith(`| \`kmsecret ${name} `) || line === `| \`kmsecret ${name}\` |`);
      expect(rows.length, `a row for kmsecret ${name}`).toBeGreaterThan(0);
      const readmeFlags = new Set(rows.flatMap((row) => [...row.matchAll(/(?<![\w-])(--?[a-z][a-z-]*)/g)].map((m) => m[1] as string)));
      for (const { short, long } of helpFlags) {
        expect(readmeFlags.has(long) || (short !== undefined && readmeFlags.has(short)), `README's row for ${name} names ${long}`).toBe(true);
      }
      for (const f of readmeFlags) expect(help.includes(f), `README names ${f} for ${name}, which its --help does not`).toBe(true);
    }
  });

  it('--version, for both executables', async () => {
    expect((await runCli(['--version'])).stdout).toBe(`${version}\n`);
    expect((await runFn('', undefined, ['--version'])).stdout).toBe(`${version}\n`);
  });

  it('usage errors: one or two lines, exit 2', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('kmsecret: unknown command "frobnicate"\n  hint: run `kmsecret --help` for the list\n');
    const flag = await runCli(['create', 'x', '--nope']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('kmsecret: unknown flag --nope\n  hint: see `kmsecret create --help`\n');
    const fnArgs = await runFn('', undefined, ['a', 'b']);
    expect(fnArgs.code).toBe(2);
  });
});

describe('-o is an output format, as in kubectl; -w/--output-file writes a file', () => {
  it('create -o yaml and -o json print the KmsSecret; no file named after the format appears', async () => {
    const cwd = tempDir();
    const yaml = await runCli(['create', 'fmt', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=fmt-value', '-o', 'yaml'], { env, cwd });
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toMatch(/^apiVersion: kmsecret\.dev\/v1alpha1\nkind: KmsSecret\n/);
    const json = await runCli(['create', 'fmt', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=fmt-value', '--output=json'], { env, cwd });
    expect(json.code, json.stderr).toBe(0);
    const value = JSON.parse(json.stdout);
    expect(value).toMatchObject({ kind: 'KmsSecret', metadata: { name: 'fmt', namespace: 'team-a' } });
    expect(await rendered(json.stdout)).toEqual({ A: 'fmt-value' });
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('decrypt -o json|env|yaml prints the format (--format still works); -o with a file name is refused and writes nothing', async () => {
    const file = await created('dec-fmt', 'API_TOKEN=fmt-t0ken');
    const cwd = tempDir();
    const json = await runCli(['decrypt', file, '-o', 'json'], { env, cwd });
    expect(json.code, json.stderr).toBe(0);
    expect(decodeData(JSON.parse(json.stdout))).toEqual({ API_TOKEN: 'fmt-t0ken' });
    expect((await runCli(['decrypt', file, '-o', 'env'], { env, cwd })).stdout).toBe('API_TOKEN=fmt-t0ken\n');
    expect((await runCli(['decrypt', file, '--format', 'env'], { env, cwd })).stdout).toBe('API_TOKEN=fmt-t0ken\n');
    expect((await runCli(['decrypt', file, '-o', 'yaml'], { env, cwd })).stdout).toMatch(/^apiVersion: v1\nkind: Secret\n/);
    const asFile = await runCli(['decrypt', file, '-o', 'plain.yaml'], { env, cwd });
    expect(asFile.code).toBe(2);
    expect(asFile.stderr).toBe(
      'kmsecret: -o/--output takes a format: yaml, json, env (got "plain.yaml")\n  hint: -o is the output format, as in kubectl; write a file with --output-file FILE (-w FILE)\n',
    );
    const both = await runCli(['decrypt', file, '-o', 'env', '--format', 'json'], { env, cwd });
    expect(both.code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('an unknown format is a usage error in every command that has -o', async () => {
    const file = await created('any-fmt', 'A=1');
    for (const args of [
      ['create', 'x', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1', '-o', 'wide'],
      ['decrypt', file, '-o', 'wide'],
      ['check', file, '-o', 'yaml'],
      ['check', '--rendered', file, '-o', 'yaml'],
      ['diff', file, file, '-o', 'yaml'],
    ]) {
      const result = await runCli(args, { env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/^kmsecret: -o\/--output takes a format: [a-z, ]+ \(got "(wide|yaml)"\)\n/);
    }
  });

  it("keygen has no formats: age-keygen's -o FILE is answered with -w FILE", async () => {
    const cwd = tempDir();
    const result = await runCli(['keygen', '-o', 'age.key'], { env, cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'kmsecret: keygen has no output formats: -o/--output names a format in kmsecret, as in kubectl\n  hint: write a file with --output-file FILE (-w FILE)\n',
    );
    expect(readdirSync(cwd)).toEqual([]);
    const written = await runCli(['keygen', '--output-file', 'age.key'], { env, cwd });
    expect(written.code, written.stderr).toBe(0);
    expect(statSync(join(cwd, 'age.key')).mode & 0o777).toBe(0o600);
  });

  it('-w writes create (0644) and decrypt (0600) output, never over a file without --force', async () => {
    const cwd = tempDir();
    const made = await runCli(['create', 'w', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=w-value', '-w', 'w.kmsecret.yaml'], { env, cwd });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toBe('');
    expect(statSync(join(cwd, 'w.kmsecret.yaml')).mode & 0o777).toBe(0o644);
    const plain = await runCli(['decrypt', 'w.kmsecret.yaml', '-o', 'env', '-w', 'w.env'], { env, cwd });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe('');
    expect(statSync(join(cwd, 'w.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(cwd, 'w.env'), 'utf8')).toBe('A=w-value\n');
    for (const args of [
      ['create', 'w', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1', '-w', 'w.kmsecret.yaml'],
      ['decrypt', 'w.kmsecret.yaml', '-w', 'w.env'],
      ['keygen', '-w', 'w.env'],
    ]) {
      const refused = await runCli(args, { env, cwd });
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(/exists; refusing to overwrite it\n {2}hint: pass --force to replace it\n$/);
    }
    expect(readFileSync(join(cwd, 'w.env'), 'utf8')).toBe('A=w-value\n');
  });
});

describe('the output file is checked before any work', () => {
  const kms = useKmsServer();
  it('a directory that does not exist, or a directory as the file: exit 2 with what to do, and no KMS call', async () => {
    kms.server().createKey({ alias: 'alias/out' });
    const aws = awsEnv(kms.server().endpoint);
    const cwd = tempDir();
    kms.server().reset();
    const missing = await runCli(['create', 'x', '-n', 'team-a', '--key', 'alias/out', '--from-literal', 'A=1', '-w', 'overlays/prod/x.kmsecret.yaml'], {
      env: aws,
      cwd,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('kmsecret: overlays/prod/x.kmsecret.yaml: its directory does not exist\n  hint: create it first: mkdir -p overlays/prod\n');
    const isDir = await runCli(['create', 'x', '-n', 'team-a', '--key', 'alias/out', '--from-literal', 'A=1', '-w', '.'], { env: aws, cwd });
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toMatch(/^kmsecret: \. is a directory\n/);
    expect(kms.server().count()).toBe(0);
  });
});

describe('diff --exit-code', () => {
  it('exits 1 when the versions differ and 0 when they do not; without the flag, 0 either way', async () => {
    const a = await created('diffx', 'A=1', 'B=2');
    const b = join(dir, 'diffx.b.yaml');
    writeFileSync(b, readFileSync(a, 'utf8'));
    expect((await runCli(['diff', a, b, '--exit-code'], { env })).code).toBe(0);
    expect((await runCli(['set', b, 'B=changed'], { env })).code).toBe(0);
    const differs = await runCli(['diff', a, b, '--exit-code'], { env });
    expect(differs.code).toBe(1);
    expect(differs.stdout).toBe('KmsSecret team-a/diffx\n  ~ B\n    (1 unchanged)\n');
    expect(differs.stderr).toBe('');
    expect((await runCli(['diff', a, b], { env })).code).toBe(0);
    expect((await runCli(['diff', a, b, '--exit-code', '-o', 'json'], { env })).code).toBe(1);
  });
});

describe('keys in a created file are sorted, however they were given', () => {
  it('literals, files and env files alike', async () => {
    writeFileSync(join(dir, 'sorted.env'), 'ZED=1\nALPHA=2\nmid=3\n');
    writeFileSync(join(dir, 'b.txt'), 'file');
    const result = await runCli(
      [
        'create',
        'sorted',
        '-n',
        'team-a',
        '--key',
        recipient,
        '--from-literal',
        'Y=1',
        '--from-env-file',
        join(dir, 'sorted.env'),
        '--from-file',
        join(dir, 'b.txt'),
      ],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys(parse(result.stdout).data)).toEqual(['ALPHA', 'Y', 'ZED', 'b.txt', 'mid']);
  });
});

describe('a plain Secret piped into create (or --from-secret) is converted', () => {
  const secretJson = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      namespace: 'team-a',
      uid: '9f1c-0000',
      resourceVersion: '123',
      labels: { app: 'db' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"PASSWORD":"conv-hunter2"}}',
        'team.example.com/owner': 'alice',
      },
    },
    type: 'kubernetes.io/basic-auth',
    data: { username: Buffer.from('conv-user').toString('base64'), password: Buffer.from('conv-hunter2').toString('base64') },
    stringData: { note: 'conv-note' },
  });

  it("keeps its name, namespace, type, labels and annotations, drops kubectl's plaintext annotation, and encrypts every value", async () => {
    const piped = await runCli(['create', '--key', recipient], { env, stdin: secretJson });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe('note: left out the annotation kubectl.kubernetes.io/last-applied-configuration\n');
    const value = parse(piped.stdout);
    expect(value.metadata).toEqual({ name: 'db', namespace: 'team-a', labels: { app: 'db' }, annotations: { 'team.example.com/owner': 'alice' } });
    expect(value.type).toBe('kubernetes.io/basic-auth');
    expectNoPlaintext(piped.stdout + piped.stderr, ['conv-hunter2', 'conv-user', 'conv-note']);
    expect(await rendered(piped.stdout)).toEqual({ note: 'conv-note', password: 'conv-hunter2', username: 'conv-user' });

    const file = join(dir, 'db.secret.json');
    writeFileSync(file, secretJson);
    const renamed = await runCli(['create', 'db-copy', '-n', 'team-b', '--key', recipient, '--from-secret', file, '--from-literal', 'EXTRA=x'], { env });
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(parse(renamed.stdout).metadata).toMatchObject({ name: 'db-copy', namespace: 'team-b' });
    expect(Object.keys(parse(renamed.stdout).data)).toEqual(['EXTRA', 'note', 'password', 'username']);
  });

  it('refuses what is not one Secret instead of writing an empty KmsSecret; an empty stdin makes one, and says so', async () => {
    const kmsSecret = readFileSync(await created('already', 'A=1'), 'utf8');
    for (const [stdin, message] of [
      [kmsSecret, /\(stdin\):\d+ KmsSecret team-a\/already: is a KmsSecret already/],
      ['conv-pasted-password\n', /\(stdin\):1: is not a Kubernetes resource\n {2}hint: .*to read one value from stdin, use --from-file KEY=-/],
      ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n', /is not a Secret/],
      [`${secretJson}\n---\n${secretJson}\n`, /holds 2 documents; one Secret is converted at a time/],
    ] as const) {
      const result = await runCli(['create', 'x', '-n', 'team-a', '--key', recipient], { env, stdin });
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
      expectNoPlaintext(result.stderr, ['conv-pasted-password', 'conv-hunter2']);
    }
    const empty = await runCli(['create', 'empty', '-n', 'team-a', '--key', recipient], { env, stdin: '' });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toBe('note: empty has no values yet; add them with `kmsecret set FILE KEY`\n');
    expect(empty.stdout).toMatch(/\ndata: \{\}\n$/);
  });

  describeWith(['kubectl'], 'from kubectl', () => {
    it('kubectl create secret generic --dry-run=client -o yaml | kmsecret create --key KEY -w FILE', async () => {
      const secret = spawnSync(
        'kubectl',
        ['create', 'secret', 'generic', 'api', '-n', 'team-a', '--from-literal=TOKEN=conv-kubectl-t0ken', '--dry-run=client', '-o', 'yaml'],
        { encoding: 'utf8' },
      );
      expect(secret.status, secret.stderr).toBe(0);
      const out = join(dir, 'api.kmsecret.yaml');
      const result = await runCli(['create', '--key', recipient, '-w', out], { env, stdin: secret.stdout });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      expect(await rendered(readFileSync(out, 'utf8'))).toEqual({ TOKEN: 'conv-kubectl-t0ken' });
      expect(parse(readFileSync(out, 'utf8')).metadata).toEqual({ name: 'api', namespace: 'team-a' });
    });
  });
});

describe('names are checked as Kubernetes checks them, in every command that takes one', () => {
  it('refuses an invalid namespace, name, workload, label or key at once (exit 2), saying which flag', async () => {
    const file = await created('names', 'A=1');
    const cases: Array<[string[], RegExp]> = [
      [
        ['create', 'x', '-n', 'Team_A', '--key', recipient, '--from-literal', 'A=1'],
        /-n\/--namespace "Team_A" is not a valid namespace name[^\n]*\n {2}hint: .*did you mean team-a\?/,
      ],
      [['create', 'x', '--namespace', 'team.a', '--key', recipient, '--from-literal', 'A=1'], /-n\/--namespace "team\.a" is not a valid namespace name/],
      [
        ['create', 'App_Secrets', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1'],
        /NAME "App_Secrets" is not a valid Kubernetes name[^\n]*\n {2}hint: did you mean app-secrets\?/,
      ],
      [
        ['create', 'x', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1', '--label', 'app=not valid!'],
        /--label: a value is not a valid label value/,
      ],
      [
        ['create', 'x', '-n', 'team-a', '--key', recipient, '--from-literal', 'A=1', '--annotation', '-bad/x=1'],
        /--annotation: a key is not a valid annotation key/,
      ],
      [['encrypt-value', '--key', recipient, '-n', 'Team_A', '--workload', 'web', '--env', 'X'], /-n\/--namespace "Team_A" is not a valid namespace name/],
      [['encrypt-value', '--key', recipient, '-n', 'team-a', '--workload', 'Web', '--env', 'X'], /--workload "Web" is not a valid Kubernetes name/],
      [['set', file, 'B=1', '--name', 'Names'], /--name "Names" is not a valid Kubernetes name/],
      [['unset', file, 'A', '--name', 'Names'], /--name "Names" is not a valid Kubernetes name/],
      [['edit', file, '--name', 'Names'], /--name "Names" is not a valid Kubernetes name/],
      [['decrypt', file, '-o', 'env', '--name', 'Names'], /--name "Names" is not a valid Kubernetes name/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env, stdin: 'x' });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });
});

describe('messages name the flag the user typed', () => {
  it('set says set, rotate says --to-key, KMSECRET_KEY says KMSECRET_KEY, and none echoes a value', async () => {
    const file = await created('flags', 'A=1');
    const typo = `${recipient.slice(0, -1)}${recipient.endsWith('q') ? 'p' : 'q'}`;
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['set', file, 'bad key=flag-secret-1'], env, /^kmsecret: set takes KEY=VALUE with a valid Secret key before "="/],
      [['set', file, 'B='], env, /^kmsecret: empty value: B \(set … B=\)\n/],
      [['set', file, '--from-file', 'bad key=x'], env, /^kmsecret: --from-file: a key is not a valid Secret key/],
      [['rotate', file, '--to-key', 'flag secret 2'], env, /^kmsecret: --to-key \(an argument of 13 characters, not shown\) is neither an age recipient/],
      [['rotate', file, '--to-key', typo], env, /^kmsecret: the age recipient --to-key names has a typo: its checksum does not match\n/],
      [['create', 'x', '-n', 'team-a', '--key', typo, '--from-literal', 'A=1'], env, /^kmsecret: the age recipient --key names has a typo/],
      [['create', 'x', '-n', 'team-a', '--from-literal', 'A=1'], { ...env, KMSECRET_KEY: typo }, /^kmsecret: the age recipient KMSECRET_KEY names has a typo/],
      [
        ['create', 'x', '-n', 'team-a', '--key', recipient, '--key', typo, '--from-literal', 'A=1'],
        env,
        /^kmsecret: the 2nd age recipient of --key has a typo/,
      ],
      [['create', 'x', '--key', recipient, '--from-literal', 'A=1'], env, /^kmsecret: -n\/--namespace is required/],
    ];
    for (const [args, runEnv, message] of cases) {
      const result = await runCli(args, { env: runEnv });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/internal error/);
      expectNoPlaintext(result.stderr, ['flag-secret-1', 'flag secret 2']);
    }
  });
});
