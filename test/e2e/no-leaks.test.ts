// Known plaintexts planted in every form kmsecret reads (KmsSecret values, env
// tokens, shush ciphertexts), then every failure path and every command that
// is not asked for plaintext: not one byte of stderr, of KRM results, or of a
// failing run's stdout may hold them, in any encoding.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { ageKey, type AgeKey, kmsSecretYaml, sealerFor } from '../helpers/fixtures.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { resourceList, yaml } from '../helpers/resource-list.js';
import { cleanEnv, runCli, runFn, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const kms = useKmsServer();
const planted = [
  'PLANTED-kmssecret-value-7c1e',
  'PLANTED-env-token-value-44ab',
  'PLANTED-shush-value-90fd',
  'PLANTED-age-value-3d2a',
  'multi line\nPLANTED-line-two',
];
const dir = tempDir();

let age: AgeKey;
let list: string;
let ageFile: string;
beforeAll(async () => {
  age = await ageKey();
  kms.server().createKey({ alias: 'alias/leaks' });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: kms.server().endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDKMSECRETTEST',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  const aws = new AwsKmsProvider();
  const secret = await kmsSecretYaml(aws, 'alias/leaks', { name: 'app', namespace: 'ns', data: { A: planted[0] as string, M: planted[4] as string } });
  const sealer = await sealerFor(aws, 'alias/leaks', { use: 'env', scope: 'strict', namespace: 'ns', name: 'web' });
  const client = new KMSClient({});
  const blob = Buffer.from(
    (await client.send(new EncryptCommand({ KeyId: 'alias/leaks', Plaintext: new TextEncoder().encode(planted[2]) }))).CiphertextBlob as Uint8Array,
  ).toString('base64');
  const deploy = yaml({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              env: [
                { name: 'T', value: sealer.seal('T', new TextEncoder().encode(planted[1])) },
                { name: 'KMS_ENCRYPTED_S', value: blob },
              ],
            },
          ],
        },
      },
    },
  });
  const ageSecret = await kmsSecretYaml(age.provider, age.recipient, { name: 'local', namespace: 'ns', data: { L: planted[3] as string } });
  list = resourceList([secret, deploy, ageSecret]);
  ageFile = join(dir, 'local.kmsecret.yaml');
  writeFileSync(ageFile, ageSecret);
});

function clean(result: RunResult, what: string, stdoutToo: boolean): void {
  expectNoPlaintext(result.stderr, planted, `${what}: stderr`);
  if (stdoutToo || result.code !== 0) expectNoPlaintext(result.stdout, planted, `${what}: stdout`);
}

describe('the render works, so the failures below are failures of one thing each', () => {
  it('decrypts everything with the right credentials', async () => {
    const result = await runFn(list, awsEnv(kms.server().endpoint, age.env));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe('kmsecret-fn failure paths', () => {
  const env = () => awsEnv(kms.server().endpoint, age.env);
  const token = (text: string) => /kmsecret:v2:aws:\S+/.exec(text)?.[0] as string;
  const cases: Array<[string, () => [string, NodeJS.ProcessEnv]]> = [
    ['a token moved to another Secret', () => [list.replace('name: app', 'name: moved'), env()]],
    ['a tampered value', () => [list.replace(token(list), `${token(list).slice(0, -8)}AAAAAAAA`), env()]],
    ['a truncated token', () => [list.replace(token(list), token(list).slice(0, 120)), env()]],
    ['no AWS credentials', () => [list, { ...env(), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }]],
    ['no age identity', () => [list, awsEnv(kms.server().endpoint, { HOME: dir })]],
    ['KMS unreachable', () => [list, awsEnv('http://127.0.0.1:9', { ...age.env, KMSECRET_MAX_ATTEMPTS: '1' })]],
    ['a schema error next to the values', () => [list.replace('kind: KmsSecret', 'kind: KmsSecret\n  bogus: field'), env()]],
    ['KMSECRET_NAMESPACES refusing them', () => [list, { ...env(), KMSECRET_NAMESPACES: 'other' }]],
    ['a generated Secret name already taken', () => [list, env()]],
  ];
  it.each(cases)('%s', async (name, make) => {
    const [first, environment] = make();
    let input = first;
    if (name === 'a generated Secret name already taken') {
      const rendered = await runFn(list, environment);
      const generated = /name: (web-env-[0-9a-f]+)/.exec(rendered.stdout)?.[1] as string;
      input = list.replace(/\n$/, '') + `\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: ${generated}\n    namespace: ns\n`;
    }
    const result = await runFn(input, environment);
    expect(result.code, result.stderr).not.toBe(0);
    clean(result, name, true);
  });

  it('placeholder mode and the kpt in-place notice print no value either', async () => {
    clean(await runFn(list, cleanEnv({ KMSECRET_PLACEHOLDER: '1' })), 'placeholder', true);
  });
});

describe('CLI commands that are not asked for plaintext', () => {
  it('set, unset, check, diff, textconv, rotate --dry-run; and decrypt or edit that fail', async () => {
    // The AWS KmsSecret of the list, as a file of its own.
    const file = join(dir, 'cli.kmsecret.yaml');
    const first = list.slice(list.indexOf('\n- ') + 3).split('\n- ')[0] as string;
    writeFileSync(file, `${first.replace(/^ {2}/gm, '')}\n`);
    const env = awsEnv(kms.server().endpoint, age.env);
    const runs: Array<[string, Promise<RunResult>, boolean]> = [
      ['check', runCli(['check', dir], { env }), true],
      ['check --decrypt', runCli(['check', '--decrypt', dir], { env }), true],
      ['check --output json', runCli(['check', dir, '-o', 'json'], { env }), true],
      ['diff', runCli(['diff', file, ageFile], { env }), true],
      ['textconv', runCli(['textconv', file], { env }), true],
      ['rotate --dry-run', runCli(['rotate', file, '--to-key', age.recipient, '--dry-run'], { env }), true],
      ['decrypt without credentials', runCli(['decrypt', ageFile], { env: cleanEnv({ HOME: dir }) }), true],
      ['edit without credentials', runCli(['edit', ageFile], { env: cleanEnv({ HOME: dir, EDITOR: 'true' }) }), true],
    ];
    for (const [name, pending, stdoutToo] of runs) clean(await pending, name, stdoutToo);
    const rendered = await runFn(list, env);
    const guard = await runCli(['check', '--rendered'], { env, stdin: `${rendered.stdout}\n` });
    expect(guard.code).toBe(0);
    clean(guard, 'check --rendered on a real render', true);
    const set = await runCli(['set', file, 'NEW'], { env: cleanEnv({ HOME: dir }), stdin: 'PLANTED-set-value' });
    clean(set, 'set without credentials', true);
    expectNoPlaintext(set.stderr, ['PLANTED-set-value']);
  });
});
