// Hostile and broken input: every case ends in a clear error or a correct
// result, within bounded time and memory; never a crash, a hang, a stack trace
// or partial output.
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KmsecretError, KmsecretErrors } from '../../functions/errors.js';
import { readResourceList, writeResourceList } from '../../functions/krm/resource-list.js';
import { readConfig } from '../../functions/model/config.js';
import { AgeProvider } from '../../functions/providers/age.js';
import type { KeyProvider } from '../../functions/providers/provider.js';
import type { ProviderSet } from '../../functions/providers/registry.js';
import { render } from '../../functions/render/render.js';
import { ageKey, type AgeKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { cleanEnv, fnBin, run, type RunResult } from '../helpers/run.js';

const plaintexts = ['h0stile-plaintext-value', 'second-plaintext-Q9'];
let key: AgeKey;
let secret: string;
beforeAll(async () => {
  key = await ageKey();
  secret = await kmsSecretYaml(key.provider, key.recipient, { name: 'app', namespace: 'ns', data: { A: plaintexts[0] as string, B: plaintexts[1] as string } });
});

interface Bounded extends RunResult {
  ms: number;
  rssMiB?: number;
}

/** kmsecret-fn under /usr/bin/time where it exists, to bound memory as well as time. */
async function bounded(stdin: string | Uint8Array, env = cleanEnv(key.env)): Promise<Bounded> {
  const started = Date.now();
  const timeBin = existsSync('/usr/bin/time');
  const result = timeBin
    ? await run('/usr/bin/time', ['-f', 'RSS_KB=%M', process.execPath, fnBin], { stdin, env, timeoutMs: 60_000 })
    : await run(process.execPath, [fnBin], { stdin, env, timeoutMs: 60_000 });
  const rss = /RSS_KB=(\d+)\s*$/.exec(result.stderr);
  return { ...result, stderr: result.stderr.replace(/(Command exited with non-zero status \d+\n)?RSS_KB=\d+\s*$/, ''), ms: Date.now() - started, ...(rss ? { rssMiB: Number(rss[1]) / 1024 } : {}) };
}

function expectCleanFailure(result: Bounded, message: RegExp): void {
  expect(result.code, result.stderr).toBe(3);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(parseList(result.stdout).items).toEqual([]);
  expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  expect(result.ms).toBeLessThan(20_000);
  if (result.rssMiB !== undefined) expect(result.rssMiB).toBeLessThan(1024);
}

const head = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n';

describe('a corpus of nasty YAML', () => {
  it('an alias bomb', async () => {
    const lines = ['- apiVersion: v1', '  kind: ConfigMap', '  metadata: {name: bomb}', '  data:', '    a0: &a0 "kmsecret"'];
    for (let i = 1; i < 24; i++) lines.push(`    a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
    expectCleanFailure(await bounded(`${head}${lines.join('\n')}\n`), /Excessive alias count/);
  });

  it('nesting a hundred thousand levels deep, in flow and in block style', async () => {
    const flow = `${head}- kind: ConfigMap\n  note: kmsecret\n  data:\n    x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expectCleanFailure(await bounded(flow), /nests too deeply to read/);
    let block = `${head}- kind: X\n  note: kmsecret\n  a:\n`;
    for (let i = 0; i < 3000; i++) block += `${'  '.repeat(i + 2)}k${i}:\n`;
    expectCleanFailure(await bounded(block), /nests too deeply to read|not valid YAML/);
  });

  it('duplicate keys, several documents, items that are not objects, no ResourceList at all', async () => {
    expectCleanFailure(await bounded(`${head}- apiVersion: kmsecret.dev/v1alpha1\n  kind: KmsSecret\n  metadata:\n    name: a\n    name: b\n`), /Map keys must be unique/);
    expectCleanFailure(await bounded(`${resourceList([secret])}---\n${resourceList([])}`), /not valid YAML/);
    for (const item of ['- 42', '- [a, kmsecret]', '- "kmsecret"', '- ~', '- !!binary aGVsbG8=']) {
      expectCleanFailure(await bounded(`${head}${item}\n`), /is not a mapping/);
    }
    expectCleanFailure(await bounded('- just\n- a list\n'), /not a ResourceList/);
    expectCleanFailure(await bounded('{"kind": "ResourceList", "apiVersion": "config.kubernetes.io/v1", "items": {"not": "a list"}}'), /items is not a list/);
  });

  it('bytes that are not UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from(`${head}- kind: ConfigMap\n  data:\n    x: "`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"\n')]);
    expectCleanFailure(await bounded(new Uint8Array(bytes)), /stdin is not UTF-8 text/);
  });

  it('a 50 MB scalar and a 100 MB ResourceList pass through unchanged, in bounded time and memory', async () => {
    const huge = `${head}- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: big\n  data:\n    x: ${'A'.repeat(50_000_000)}\n`;
    const one = await bounded(huge);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(huge);
    const item = (i: number) => `- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-${i}\n    annotations:\n      config.kubernetes.io/index: '0'\n  data:\n    date: 2020-01-01\n    text: |\n      ${'lorem ipsum '.repeat(30)}\n`;
    const parts = [head];
    let size = head.length;
    for (let i = 0; size < 100_000_000; i++) {
      const text = item(i);
      parts.push(text);
      size += text.length;
    }
    const big = parts.join('');
    const result = await bounded(big);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout === big).toBe(true);
    expect(result.ms).toBeLessThan(20_000);
    if (result.rssMiB !== undefined) expect(result.rssMiB).toBeLessThan(1024);
  }, 120_000);
});

describe('broken and hostile tokens', () => {
  const age = (): ProviderSet => ({ get: async (): Promise<KeyProvider> => new AgeProvider({ KMSECRET_AGE_KEY: key.identity }) });
  const renderText = async (text: string, env: NodeJS.ProcessEnv = {}) => {
    const list = readResourceList(text);
    const outcome = await render(list.items, readConfig(list.functionConfig, env), { providers: age(), retry: { maxAttempts: 1, baseMs: 0, capMs: 0, random: Math.random } });
    return writeResourceList(list.apiVersion, list.indent, outcome.output, outcome.results);
  };

  it('any change to a token is refused with a clear error, never decrypted to something else', async () => {
    const token = /A: (\S+)/.exec(secret)?.[1] as string;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('flip'), at: fc.nat(token.length - 1), by: fc.integer({ min: 1, max: 60 }) }),
          fc.record({ kind: fc.constant('cut'), at: fc.nat(token.length - 1), by: fc.constant(0) }),
          fc.record({ kind: fc.constant('insert'), at: fc.nat(token.length - 1), by: fc.integer({ min: 0, max: 63 }) }),
        ),
        async ({ kind, at, by }) => {
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const c = token[at] as string;
          const mutated =
            kind === 'flip'
              ? token.slice(0, at) + (alphabet[(alphabet.indexOf(c) + by) % 64] ?? 'A') + token.slice(at + 1)
              : kind === 'cut'
                ? token.slice(0, at)
                : token.slice(0, at) + (alphabet[by] as string) + token.slice(at);
          fc.pre(mutated !== token && !(kind === 'flip' && alphabet.indexOf(c) === -1));
          try {
            const out = await renderText(resourceList([secret.replace(token, mutated)]));
            // Only a change inside base64url padding bits can leave a token meaning the same.
            expect(parseList(out).items[0]?.data.A).toBe(Buffer.from(plaintexts[0] as string).toString('base64'));
          } catch (error) {
            const errors = error instanceof KmsecretErrors ? error.errors : [error as KmsecretError];
            for (const e of errors) {
              expect(e).toBeInstanceOf(KmsecretError);
              expect(['input', 'decrypt']).toContain(e.category);
              expectNoPlaintext(`${e.message} ${e.hint ?? ''}`, plaintexts);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['wrong version', (t: string) => t.replace('kmsecret:v1:', 'kmsecret:v2:'), /format v2/],
    ['wrong provider', (t: string) => t.replace(':age:', ':vault:'), /unknown provider "vault"/],
    ['base64 garbage', (t: string) => t.replace(/:[^:]+$/, ':!!!notbase64!!!'), /damaged or truncated value/],
    ['a JSON header of the wrong shape', (t: string) => t.replace(/^(kmsecret:v1:age:)[^:]+/, `$1${Buffer.from('{"keyId":1}').toString('base64url')}`), /damaged header/],
    ['not a token at all', () => "'kmsecret:'", /no version/],
  ])('%s', async (_, mutate, message) => {
    const token = /A: (\S+)/.exec(secret)?.[1] as string;
    await expect(renderText(resourceList([secret.replace(token, mutate(token))]))).rejects.toMatchObject({ errors: [expect.objectContaining({ message: expect.stringMatching(message) })] });
  });

  it('valid, but bound elsewhere; valid, for a key we cannot open', async () => {
    await expect(renderText(resourceList([secret.replace('namespace: ns', 'namespace: other')]))).rejects.toMatchObject({ errors: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/was encrypted for namespace ns/) })]) });
    const stranger = await ageKey();
    const theirs = await kmsSecretYaml(stranger.provider, stranger.recipient, { name: 'app', namespace: 'ns', data: { A: 'x' } });
    await expect(renderText(resourceList([theirs]))).rejects.toMatchObject({ errors: [expect.objectContaining({ category: 'decrypt', message: expect.stringMatching(/none of your age identities/) })] });
  });
});

describe('configs', () => {
  const config = (body: string) => resourceList([secret], `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\n${body}`);
  it.each([
    ['an unknown field', 'endpoint: http://attacker.example\n', /field endpoint is not a field of this kind/],
    ['an unknown env field', 'env:\n  region: us-east-1\n', /field env\.region is not a field of this kind/],
    ['a wrong type', 'concurrency: [1]\n', /field concurrency must be integer/],
    ['out of range', 'concurrency: 100000\n', /field concurrency must be <= 256/],
    ['a bad enum', 'mode: plaintext\n', /field mode must be one of "decrypt", "placeholder"/],
    ['overlapping prefixes', 'env:\n  prefixes: [KMS_, KMS_ENCRYPTED_]\n', /env\.prefixes KMS_ and KMS_ENCRYPTED_ overlap/],
    ['a built-in kind as an extra path', 'env:\n  fieldPaths: [Deployment=spec.template.spec]\n', /names Deployment, whose pod spec kmsecret-fn already knows/],
    ['an empty path segment', 'env:\n  fieldPaths: [Rollout=spec..spec]\n', /empty path segment/],
  ])('%s', async (_, body, message) => {
    expectCleanFailure(await bounded(config(body)), message);
  });
});

describe('random ResourceLists with no tokens', () => {
  const scalar = fc.oneof(fc.string(), fc.constantFrom('2020-01-01', '0755', '1.10', '~', '12345678901234567890', 'yes', '0x1F', '"', "'", '#', '- x', 'a: b'), fc.integer(), fc.double({ noNaN: true }), fc.boolean());
  const value = fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('v'), { maxKeys: 3 })) })).v;
  const resource = fc.record({ apiVersion: fc.constantFrom('v1', 'apps/v1', 'example.com/v1'), kind: fc.constantFrom('ConfigMap', 'Deployment', 'Secret', 'Widget'), metadata: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/) }), spec: value });

  it('pass through unchanged, byte for byte (thousands of cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(resource, { maxLength: 5 }), async (items) => {
        const text = yaml({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items });
        fc.pre(!/kmsecret|KMS_ENCRYPTED_/i.test(text));
        const list = readResourceList(text);
        const outcome = await render(list.items, readConfig(list.functionConfig, {}), { providers: { get: async () => { throw new Error('no provider may be asked'); } }, retry: { maxAttempts: 1, baseMs: 0, capMs: 0, random: Math.random } });
        const out = writeResourceList(list.apiVersion, list.indent, outcome.output, outcome.results);
        // Items are copied verbatim; the envelope around them is ours.
        expect(out.slice(out.indexOf('items:'))).toBe(text.slice(text.indexOf('items:')).replace(/^items: \[\]\n$/, 'items: []\n'));
      }),
      { numRuns: 2000 },
    );
  });
});
