// Startup: kustomize starts kmsecret-fn once per generator entry, so a render
// pays only for what it uses. Proven by taking the AWS SDK away: renders with
// no AWS token do not notice.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ageKey, type AgeKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

let fn: string;
let key: AgeKey;
beforeAll(async () => {
  const dir = tempDir();
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  const chunks = join(dir, 'dist', 'chunks');
  const aws = readdirSync(chunks).filter((f) => f.startsWith('aws-kms-'));
  expect(aws).toHaveLength(1);
  rmSync(join(chunks, aws[0] as string));
  fn = join(dir, 'dist', 'kmsecret-fn.mjs');
  key = await ageKey();
});

it('a render with no AWS token never loads the AWS SDK', async () => {
  const empty = await run(process.execPath, [fn], { stdin: resourceList([]) });
  expect(empty.code, empty.stderr).toBe(0);
  const secret = await kmsSecretYaml(key.provider, key.recipient, { name: 'a', namespace: 'n', data: { K: 'v' } });
  const age = await run(process.execPath, [fn], { stdin: resourceList([secret]), env: cleanEnv(key.env) });
  expect(age.code, age.stderr).toBe(0);
  expect(parseList(age.stdout).items[0]?.kind).toBe('Secret');
  // and the chunk that was taken away is the one an AWS token needs
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const awsToken = secret.replace(/kmsecret:v2:age:([^:]+):[^:]+:/g, (_, header: string) => {
    const json = Buffer.from(header, 'base64url')
      .toString()
      .replace(/"keyId":"[^"]+"/, `"keyId":"${arn}"`);
    return `kmsecret:v2:aws:${Buffer.from(json).toString('base64url')}:${Buffer.from('wrapped').toString('base64url')}:`;
  });
  const aws = await run(process.execPath, [fn], { stdin: resourceList([awsToken]), env: cleanEnv() });
  expect(aws.code).toBe(1);
  expect(aws.stderr).toMatch(/cannot load the aws provider \(.*aws-kms.*\)\n {2}hint: the installation is incomplete/);
});
