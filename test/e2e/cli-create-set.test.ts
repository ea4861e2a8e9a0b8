// kmsecret keygen, create, set and unset through the built executable.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, runCli, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
let identityFile: string;
let recipient: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  identityFile = join(dir, 'age.key');
  const keygen = await runCli(['keygen', '-w', identityFile]);
  expect(keygen.code, keygen.stderr).toBe(0);
  recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
  env = cleanEnv({ KMSECRET_AGE_KEY_FILE: identityFile });
});

async function renderFile(path: string, renderEnv = env): Promise<Record<string, string>> {
  const result = await runFn(resourceList([readFileSync(path, 'utf8')]), renderEnv);
  expect(result.code, result.stderr).toBe(0);
  return decodeData(parseList(result.stdout).items[0] as Record<string, any>);
}

function changedLines(a: string, b: string): string[] {
  const left = a.split('\n');
  const right = b.split('\n');
  return right.filter((line) => !left.includes(line)).concat(left.filter((line) => !right.includes(line)).map((l) => `-${l}`));
}

describe('keygen', () => {
  it('writes the identity 0600, prints the recipient on stderr, and will not overwrite', async () => {
    expect(statSync(identityFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(identityFile, 'utf8')).toMatch(/^# created: .*\n# public key: age1\S+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    const again = await runCli(['keygen', '-w', identityFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; refusing to overwrite it\n\s+hint: pass --force/);
    const toStdout = await runCli(['keygen']);
    expect(toStdout.stdout).toMatch(/^# created/);
    expect(toStdout.stderr).toMatch(/^Public key: age1/);
  });
});

describe('create', () => {
  it('follows kubectl create secret generic: literals, files, env files, type, namespace', async () => {
    writeFileSync(join(dir, 'tls.crt'), 'CERTIFICATE-BYTES');
    writeFileSync(join(dir, 'ca.crt'), 'CA-BYTES');
    writeFileSync(join(dir, 'prod.env'), '# comment\nFROM_ENV=env-value\nQUOTED="kept as is"\n\n');
    const out = join(dir, 'app.kmsecret.yaml');
    const result = await runCli(
      [
        'create',
        'app-secrets',
        '--namespace',
        'team-a',
        '--key',
        recipient,
        '--from-literal',
        'DB_PASSWORD=s3cr3t',
        '--from-file',
        'tls.crt=./tls.crt',
        '--from-file',
        './ca.crt',
        '--from-env-file',
        './prod.env',
        '--type',
        'kubernetes.io/tls',
        '--label',
        'app=web',
        '-w',
        out,
      ],
      { env, cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(
      /^apiVersion: kmsecret\.dev\/v1alpha1\nkind: KmsSecret\nmetadata:\n {2}name: app-secrets\n {2}namespace: team-a\n {2}labels:\n {4}app: web\ntype: kubernetes\.io\/tls\ndata:\n/,
    );
    expectNoPlaintext(text + result.stderr, ['s3cr3t', 'CERTIFICATE-BYTES', 'env-value']);
    expect(await renderFile(out)).toEqual({
      DB_PASSWORD: 's3cr3t',
      'tls.crt': 'CERTIFICATE-BYTES',
      'ca.crt': 'CA-BYTES',
      FROM_ENV: 'env-value',
      QUOTED: '"kept as is"',
    });
    const refused = await runCli(['create', 'app-secrets', '-n', 'team-a', '--key', recipient, '-w', out], { env, cwd: dir });
    expect(refused.code).toBe(2);
  });

  it('explains what is missing', async () => {
    const noNs = await runCli(['create', 'x', '--key', recipient, '--from-literal', 'A=b'], { env });
    expect(noNs.code).toBe(2);
    expect(noNs.stderr).toMatch(/--namespace is required: every value is bound to its namespace/);
    const noKey = await runCli(['create', 'x', '-n', 'ns', '--from-literal', 'A=b'], { env });
    expect(noKey.stderr).toMatch(/no key given\n\s+hint: pass --key age1/);
    const badKey = await runCli(['create', 'x', '-n', 'ns', '--key', 'nonsense', '--from-literal', 'A=b'], { env });
    expect(badKey.stderr).toMatch(/--key "nonsense" is neither an age recipient/);
    const badLiteral = await runCli(['create', 'x', '-n', 'ns', '--key', recipient, '--from-literal', 'hunter2-no-equals'], { env });
    expect(badLiteral.code).toBe(2);
    expectNoPlaintext(badLiteral.stderr, ['hunter2-no-equals']);
  });
});

describe('set and unset change only the lines they must', () => {
  const original = (tokens: string) => `# Secrets of the web app. Reviewed by team A.
apiVersion: kmsecret.dev/v1alpha1
kind: KmsSecret
metadata:
  name: web
  namespace: team-a # the tenant
type: Opaque
data:
${tokens}`;
  let file: string;
  let text: string;

  beforeEach(async () => {
    const created = await runCli(['create', 'web', '-n', 'team-a', '--key', recipient, '--from-literal', 'B_KEY=bee', '--from-literal', 'D_KEY=dee'], { env });
    const tokens = created.stdout.slice(created.stdout.indexOf('\ndata:\n') + 7).replace(/^( {2}D_KEY: .*)$/m, '$1 # rotated yearly');
    text = original(tokens);
    file = join(dir, 'web.kmsecret.yaml');
    writeFileSync(file, text);
  });

  it('adds a key in sorted position as one new line, under a data key of its own made by this run', async () => {
    const result = await runCli(['set', file, 'C_KEY=sea'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(`${file}: C_KEY (added)\n`);
    const after = readFileSync(file, 'utf8');
    const changes = changedLines(text, after);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/^ {2}C_KEY: kmsecret:v2:age:/);
    expect(after.split('\n').findIndex((l) => l.startsWith('  C_KEY'))).toBe(after.split('\n').findIndex((l) => l.startsWith('  B_KEY')) + 1);
    const wrapped = (line: string | undefined) => line?.split(':')[5];
    // Never the file's data key: whoever made that one could read what is added.
    expect(wrapped(after.match(/C_KEY: .*/)?.[0])).not.toBe(wrapped(after.match(/B_KEY: .*/)?.[0]));
    expect(wrapped(after.match(/D_KEY: .*/)?.[0])).toBe(wrapped(after.match(/B_KEY: .*/)?.[0]));
    expect(await renderFile(file)).toEqual({ B_KEY: 'bee', C_KEY: 'sea', D_KEY: 'dee' });
  });

  it('changes one value in place, keeping its comment; an unchanged value keeps its token', async () => {
    const result = await runCli(['set', file, 'D_KEY=new-dee', 'B_KEY=bee'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(`${file}: D_KEY (changed), 1 unchanged\n`);
    const after = readFileSync(file, 'utf8');
    const changes = changedLines(text, after);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatch(/^ {2}D_KEY: kmsecret:v2:age:\S+ # rotated yearly$/);
    expect(await renderFile(file)).toEqual({ B_KEY: 'bee', D_KEY: 'new-dee' });
  });

  it('reads a value from stdin, so it never sits in argv', async () => {
    const result = await runCli(['set', file, 'E_KEY'], { env, stdin: 'from-stdin-value' });
    expect(result.code, result.stderr).toBe(0);
    expect(await renderFile(file)).toEqual({ B_KEY: 'bee', D_KEY: 'dee', E_KEY: 'from-stdin-value' });
  });

  it("without the identity, encrypts for the recipients you name (not the file's unauthenticated list) under a new data key, and says so", async () => {
    const blind = cleanEnv({ HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') });
    const refused = await runCli(['set', file, 'D_KEY=changed-blind'], { env: blind });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/its tokens name a recipient that none of your identities is[\s\S]*hint: pass --key/);
    const result = await runCli(['set', file, 'D_KEY=changed-blind', '--key', recipient], { env: blind });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^note: could not open the existing values \(no age identity: .*\); the given keys were encrypted again\n.*D_KEY \(rewritten\)/,
    );
    expectNoPlaintext(result.stderr, ['changed-blind', 'dee', 'bee']);
    expect(changedLines(text, readFileSync(file, 'utf8'))).toHaveLength(2);
    expect(await renderFile(file)).toEqual({ B_KEY: 'bee', D_KEY: 'changed-blind' });
  });

  it("unset removes exactly the key's line", async () => {
    const result = await runCli(['unset', file, 'B_KEY'], { env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    const changes = changedLines(text, readFileSync(file, 'utf8'));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/^- {2}B_KEY: /);
  });
});

describe('with AWS KMS', () => {
  const kms = useKmsServer();
  it('create costs one GenerateDataKey; set a new key one Decrypt (verifying the key) and one GenerateDataKey; rotate --rekey merges them', async () => {
    kms.server().createKey({ alias: 'alias/team-a' });
    const awsFile = join(dir, 'aws.kmsecret.yaml');
    const aws = awsEnv(kms.server().endpoint);
    const created = await runCli(
      ['create', 'db', '-n', 'team-a', '--key', 'alias/team-a', '--from-literal', 'A=1', '--from-literal', 'B=2', '--from-literal', 'C=3', '-w', awsFile],
      { env: aws },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(kms.server().count('GenerateDataKey')).toBe(1);
    expect(kms.server().count()).toBe(1);
    kms.server().reset();
    const set = await runCli(['set', awsFile, 'D=4'], { env: aws });
    expect(set.code, set.stderr).toBe(0);
    // One Decrypt verifies the key the file's tokens name (KMS checks the key id); one new data key.
    expect(kms.server().count('Decrypt')).toBe(1);
    expect(kms.server().count('GenerateDataKey')).toBe(1);
    kms.server().reset();
    expect(await renderFile(awsFile, aws)).toEqual({ A: '1', B: '2', C: '3', D: '4' });
    expect(kms.server().count('Decrypt')).toBe(2);
    kms.server().reset();
    const rekeyed = await runCli(['rotate', '--rekey', awsFile], { env: aws });
    expect(rekeyed.code, rekeyed.stderr).toBe(0);
    expect(rekeyed.stderr).toBe(`${awsFile}: sealed 4 values again under 1 fresh data key\n`);
    expect([kms.server().count('Decrypt'), kms.server().count('GenerateDataKey')]).toEqual([2, 1]);
    kms.server().reset();
    expect(await renderFile(awsFile, aws)).toEqual({ A: '1', B: '2', C: '3', D: '4' });
    expect(kms.server().count('Decrypt')).toBe(1);
  });
});
