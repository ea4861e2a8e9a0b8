// Hostile and broken input: every case ends in a clear error or a correct
// result, within bounded time and memory; never a crash, a hang, a stack trace
// or partial output.
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KmsecretError, KmsecretErrors } from '../../functions/errors.js';
import { renderText as renderInProcess } from '../helpers/render.js';
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
  rssMiB?: number;
}

/** kmsecret-fn under /usr/bin/time where it exists, to bound its memory. */
async function bounded(stdin: string | Uint8Array, env = cleanEnv(key.env)): Promise<Bounded> {
  const timeBin = existsSync('/usr/bin/time');
  const result = timeBin
    ? await run('/usr/bin/time', ['-f', 'RSS_KB=%M', process.execPath, fnBin], { stdin, env })
    : await run(process.execPath, [fnBin], { stdin, env });
  const rss = /RSS_KB=(\d+)\s*$/.exec(result.stderr);
  return {
    ...result,
    stderr: result.stderr.replace(/(Command exited with non-zero status \d+\n)?RSS_KB=\d+\s*$/, ''),
    ...(rss ? { rssMiB: Number(rss[1]) / 1024 } : {}),
  };
}

function expectCleanFailure(result: Bounded, message: RegExp): void {
  expect(result.code, result.stderr).toBe(3);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(parseList(result.stdout).items).toEqual([]);
  expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  if (result.rssMiB !== undefined) expect(result.rssMiB).toBeLessThan(1024);
}

/** An item kmsecret does not change passes through as it came, however it is written (kpt passed it). */
function expectPassThrough(result: Bounded, input: string): void {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  expect(result.stdout === input).toBe(true);
}

const head = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n';
const someToken = 'kmsecret:v2:age:eyJ4IjoxfQ:AAAA:AAAA';

describe('a corpus of nasty YAML', () => {
  const bomb = (a0: string) => {
    const lines = ['- apiVersion: v1', '  kind: ConfigMap', '  metadata: {name: bomb}', '  data:', `    a0: &a0 "${a0}"`];
    for (let i = 1; i < 24; i++)
      lines.push(
        `    a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    return `${head}${lines.join('\n')}\n`;
  };

  it('an alias bomb: refused where it could hide a token, passed through where it holds nothing of ours', async () => {
    expectCleanFailure(await bounded(bomb(someToken)), /Excessive alias count/);
    expectPassThrough(await bounded(bomb('just data')), bomb('just data'));
  });

  it('nesting a hundred thousand levels deep, in flow and in block style', async () => {
    const flow = (note: string) => `${head}- kind: ConfigMap\n  note: ${note}\n  data:\n    x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expectCleanFailure(await bounded(flow(someToken)), /nests too deeply to read/);
    expectPassThrough(await bounded(flow('kmsecret')), flow('kmsecret'));
    let block = `${head}- kind: X\n  note: ${someToken}\n  a:\n`;
    for (let i = 0; i < 3000; i++) block += `${'  '.repeat(i + 2)}k${i}:\n`;
    expectCleanFailure(await bounded(block), /nests too deeply to read|not valid YAML/);
  });

  it('duplicate keys, several documents, items that are not objects, no ResourceList at all', async () => {
    expectCleanFailure(
      await bounded(`${head}- apiVersion: kmsecret.dev/v1alpha1\n  kind: KmsSecret\n  metadata:\n    name: a\n    name: b\n`),
      /the key "name" appears twice in one mapping/,
    );
    expectCleanFailure(await bounded(`${resourceList([secret])}---\n${resourceList([])}`), /not valid YAML/);
    for (const item of [`- [a, "${someToken}"]`, `- "${someToken}"`, '- !!binary aGVsbG8=']) {
      expectCleanFailure(await bounded(`${head}${item}\n`), /is not a mapping/);
    }
    for (const item of ['- 42', '- [a, kmsecret]', '- ~']) expectPassThrough(await bounded(`${head}${item}\n`), `${head}${item}\n`);
    expectCleanFailure(await bounded('- just\n- a list\n'), /not a ResourceList/);
    expectCleanFailure(await bounded('{"kind": "ResourceList", "apiVersion": "config.kubernetes.io/v1", "items": {"not": "a list"}}'), /items is not a list/);
  });

  it('what upstream manifests hold and strict YAML refuses passes through when it is not ours (duplicate keys, many aliases, !!set)', async () => {
    const dupes = `${head}- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n    labels:\n      app: web\n      app: web\n  spec:\n    template:\n      spec:\n        containers:\n        - name: app\n          env:\n          - name: KMS_ENCRYPTED_X\n            valueFrom: {secretKeyRef: {name: s, key: k}}\n- kind: Secret\n  apiVersion: v1\n  metadata: {name: other}\n  type: Opaque\n  data: {a: b, a: c}\n`;
    expectPassThrough(await bounded(dupes), dupes);
    const anchors = `${head}- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: many, annotations: {note: KMS_ENCRYPTED_}}\n  data:\n    base: &b x\n${Array.from({ length: 100 }, (_, i) => `    k${i}: *b\n`).join('')}`;
    expectPassThrough(await bounded(anchors), anchors);
    const set = `${head}- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: set, annotations: {note: KMS_ENCRYPTED_}}\n  data: !!set {a: 1}\n`;
    expectPassThrough(await bounded(set), set);
  });

  it('bytes that are not UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from(`${head}- kind: ConfigMap\n  data:\n    x: "`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"\n')]);
    expectCleanFailure(await bounded(new Uint8Array(bytes)), /stdin is not UTF-8 text/);
  });

  // Memory, not time, is what is bounded here (npm run bench measures 100 MB and the time).
  it('a 20 MB scalar and a 20 MB ResourceList pass through unchanged, in bounded memory', async () => {
    const huge = `${head}- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: big\n  data:\n    x: ${'A'.repeat(20_000_000)}\n`;
    const one = await bounded(huge);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout === huge).toBe(true);
    const item = (i: number) =>
      `- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-${i}\n    annotations:\n      config.kubernetes.io/index: '0'\n  data:\n    date: 2020-01-01\n    text: |\n      ${'lorem ipsum '.repeat(30)}\n`;
    const parts = [head];
    let size = head.length;
    for (let i = 0; size < 20_000_000; i++) {
      const text = item(i);
      parts.push(text);
      size += text.length;
    }
    const big = parts.join('');
    const result = await bounded(big);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout === big).toBe(true);
    if (result.rssMiB !== undefined) expect(result.rssMiB).toBeLessThan(512);
  });
});

describe('broken and hostile tokens', () => {
  const renderText = (text: string, env: NodeJS.ProcessEnv = {}) => renderInProcess(text, { KMSECRET_AGE_KEY: key.identity, ...env });

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
    ['wrong version', (t: string) => t.replace('kmsecret:v2:', 'kmsecret:v3:'), /a format this kmsecret does not read/],
    ['wrong provider', (t: string) => t.replace(':age:', ':vault:'), /names a provider this kmsecret does not know/],
    ['base64 garbage', (t: string) => t.replace(/:[^:]+$/, ':!!!notbase64!!!'), /damaged or truncated value/],
    [
      'a JSON header of the wrong shape',
      (t: string) => t.replace(/^(kmsecret:v2:age:)[^:]+/, `$1${Buffer.from('{"keyId":1}').toString('base64url')}`),
      /damaged header/,
    ],
    ['not a token at all', () => "'kmsecret:'", /no version/],
  ])('%s', async (_, mutate, message) => {
    const token = /A: (\S+)/.exec(secret)?.[1] as string;
    await expect(renderText(resourceList([secret.replace(token, mutate(token))]))).rejects.toMatchObject({
      errors: [expect.objectContaining({ message: expect.stringMatching(message) })],
    });
  });

  it('valid, but bound elsewhere; valid, for a key we cannot open', async () => {
    await expect(renderText(resourceList([secret.replace('namespace: ns', 'namespace: other')]))).rejects.toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/was encrypted as a Secret value for namespace ns/) })]),
    });
    const stranger = await ageKey();
    const theirs = await kmsSecretYaml(stranger.provider, stranger.recipient, { name: 'app', namespace: 'ns', data: { A: 'x' } });
    await expect(renderText(resourceList([theirs]))).rejects.toMatchObject({
      errors: [expect.objectContaining({ category: 'decrypt', message: expect.stringMatching(/none of your age identities/) })],
    });
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
  const scalar = fc.oneof(
    fc.string(),
    fc.constantFrom('2020-01-01', '0755', '1.10', '~', '12345678901234567890', 'yes', '0x1F', '"', "'", '#', '- x', 'a: b'),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('v'), { maxKeys: 3 }),
    ),
  })).v;
  const resource = fc.record({
    apiVersion: fc.constantFrom('v1', 'apps/v1', 'example.com/v1'),
    kind: fc.constantFrom('ConfigMap', 'Deployment', 'Secret', 'Widget'),
    metadata: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/) }),
    spec: value,
  });

  it('pass through unchanged, byte for byte (thousands of cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(resource, { maxLength: 5 }), async (items) => {
        const text = yaml({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items });
        fc.pre(!/kmsecret|KMS_ENCRYPTED_/i.test(text));
        const out = await renderInProcess(
          text,
          {},
          {
            providers: {
              get: async () => {
                throw new Error('no provider may be asked');
              },
            },
          },
        );
        // Items are copied verbatim; the envelope around them is ours.
        expect(out.slice(out.indexOf('items:'))).toBe(text.slice(text.indexOf('items:')).replace(/^items: \[\]\n$/, 'items: []\n'));
      }),
      { numRuns: 2000 },
    );
  });
});
