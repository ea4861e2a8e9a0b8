// kmsecret-fn as a KRM function (stdin → stdout), with the offline age provider.
import { describe, expect, it, beforeAll } from 'vitest';
import { ageKey, type AgeKey, kmsSecretYaml, tokens } from '../helpers/fixtures.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { decodeData, parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { cleanEnv, runFn, type RunResult } from '../helpers/run.js';

const plaintexts = ['s3cr3t-db-password', 'tok-9f8e7d6c5b4a', 'multi\nline\nvalue'];

let key: AgeKey;
let secret: string;
beforeAll(async () => {
  key = await ageKey();
  secret = await kmsSecretYaml(key.provider, key.recipient, {
    name: 'app-secrets',
    namespace: 'team-a',
    labels: { app: 'web' },
    annotations: { team: 'a', 'config.kubernetes.io/local-config': 'false' },
    data: { DB_PASSWORD: plaintexts[0] as string, API_TOKEN: plaintexts[1] as string, 'notes.txt': plaintexts[2] as string },
  });
});

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: tricky # comment kept
  namespace: team-a
data:
  date: 2020-01-01
  mode: 0755
  version: 1.10
  nothing: ~
  big: 12345678901234567890
  quoted: 'single'
  folded: >
    folded
    text
`;

function env(extra: NodeJS.ProcessEnv = {}) {
  return cleanEnv({ ...key.env, ...extra });
}

/** A failed run: non-zero, a message on stderr, results and no items on stdout, no plaintext anywhere. */
function expectFailure(result: RunResult, code: number, message: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
  const out = parseList(result.stdout);
  expect(out.items).toEqual([]);
  expect(out.results?.[0]?.severity).toBe('error');
  expectNoPlaintext(result.stdout + result.stderr, plaintexts);
}

describe('KmsSecret among the items (transformer semantics, kpt eval)', () => {
  it('becomes a Secret in its place; every other item leaves byte for byte', async () => {
    const input = resourceList([configMap, secret, configMap.replace('tricky', 'after')]);
    const result = await runFn(input, env());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const out = parseList(result.stdout);
    expect(out.items.map((i) => i.kind)).toEqual(['ConfigMap', 'Secret', 'ConfigMap']);
    const s = out.items[1] as Record<string, any>;
    expect(s.apiVersion).toBe('v1');
    expect(s.metadata).toEqual({
      name: 'app-secrets',
      namespace: 'team-a',
      labels: { app: 'web' },
      annotations: { team: 'a', 'kmsecret.dev/bound-namespace': 'team-a' },
    });
    expect(s.type).toBe('Opaque');
    expect(decodeData(s)).toEqual({ DB_PASSWORD: plaintexts[0], API_TOKEN: plaintexts[1], 'notes.txt': plaintexts[2] });
    // The untouched items, exactly as they were written.
    const cm = resourceList([configMap]).split('items:\n')[1] as string;
    expect(result.stdout).toContain(cm);
    expect(result.stdout).toContain(cm.replace('tricky', 'after'));
    expect(result.stdout).not.toMatch(/kmsecret:v[0-9]/);
  });

  it('passes a list with nothing of ours through unchanged', async () => {
    const input = resourceList([configMap]);
    const result = await runFn(input, env());
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(input);
  });

  it("works with the KmsSecretTransformer config and with kpt's empty ConfigMap", async () => {
    for (const config of [
      'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata: {}\n',
    ]) {
      const result = await runFn(resourceList([secret], config), env());
      expect(result.code, result.stderr).toBe(0);
      expect(parseList(result.stdout).items[0]?.kind).toBe('Secret');
    }
  });

  it('decrypts values over 4 KiB and binary values', async () => {
    const big = new Uint8Array(Buffer.alloc(200_000, 'certificate-'));
    const binary = new Uint8Array(256).map((_, i) => i);
    const text = await kmsSecretYaml(key.provider, key.recipient, { name: 'big', namespace: 'team-a', data: { 'tls.crt': big, 'bin.dat': binary } });
    const result = await runFn(resourceList([text]), env());
    expect(result.code, result.stderr).toBe(0);
    const data = parseList(result.stdout).items[0]?.data as Record<string, string>;
    expect(Buffer.from(data['tls.crt'] as string, 'base64').equals(big)).toBe(true);
    expect(Buffer.from(data['bin.dat'] as string, 'base64').equals(binary)).toBe(true);
  });
});

describe('the kustomize generator form', () => {
  it('emits only the Secret, marked for the name hash', async () => {
    const copy = secret
      .replace('annotations:\n', 'annotations:\n    config.kubernetes.io/local-config: "true"\n')
      .replace("    config.kubernetes.io/local-config: 'false'\n", '')
      .replace('    config.kubernetes.io/local-config: "false"\n', '');
    const result = await runFn(resourceList([copy], secret), env());
    expect(result.code, result.stderr).toBe(0);
    const out = parseList(result.stdout);
    expect(out.items).toHaveLength(1);
    expect(out.items[0]?.metadata.annotations).toEqual({ team: 'a', 'kmsecret.dev/bound-namespace': 'team-a', 'kustomize.config.k8s.io/needs-hash': 'true' });
    expect(decodeData(out.items[0] as Record<string, any>).DB_PASSWORD).toBe(plaintexts[0]);
  });
});

describe('a value that cannot be decrypted fails the whole render', () => {
  it('when the token was copied into another Secret', async () => {
    const moved = secret.replace('name: app-secrets', 'name: other-secrets');
    const result = await runFn(resourceList([configMap, moved]), env());
    expectFailure(
      result,
      3,
      /KmsSecret team-a\/other-secrets data\.DB_PASSWORD: value was encrypted as a Secret value for namespace team-a, name app-secrets, key DB_PASSWORD \(strict\), not as a Secret value for namespace team-a, name other-secrets/,
    );
    expect(result.stderr).toMatch(/hint: .*kmsecret set/);
  });

  it('when the token was moved to another key or namespace', async () => {
    const t = await tokens(key.provider, key.recipient, { name: 'x', namespace: 'team-b', data: { A: 'one' } });
    const other = yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'x', namespace: 'team-a' }, data: { B: t.A } });
    const result = await runFn(resourceList([other]), env());
    expectFailure(result, 3, /data\.B: value was encrypted as a Secret value for namespace team-b, name x, key A \(strict\)/);
  });

  it('when a token was tampered with (header, data key or value)', async () => {
    const token = secret.match(/DB_PASSWORD: (\S+)/)?.[1] as string;
    const fields = token.split(':');
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    for (const [field, code, message] of [
      [5, 4, /value does not decrypt: the token was tampered with or truncated/],
      [4, 4, /age: .*(damaged|can open)/],
      [3, 3, /damaged header|was encrypted as/],
    ] as const) {
      const broken = fields.map((f, i) => (i === field ? flip(f, Math.floor(f.length / 2)) : f)).join(':');
      const result = await runFn(resourceList([secret.replace(token, broken)]), env());
      expectFailure(result, code, message);
    }
  });

  it('when a token is truncated, of an unknown version, or not a token', async () => {
    const token = secret.match(/DB_PASSWORD: (\S+)/)?.[1] as string;
    for (const [broken, message] of [
      [token.slice(0, 200), /truncated or malformed/],
      [token.replace('kmsecret:v2:', 'kmsecret:v7:'), /a token of a format this kmsecret does not read.*\n.*hint: upgrade kmsecret/],
      [
        token.replace('kmsecret:v2:', 'kmsecret:v1:'),
        /is a v1 token, which this kmsecret no longer decrypts.*\n.*hint: convert the file once with `kmsecret rotate --rekey FILE`/,
      ],
      ['plain-text-value', /data\.DB_PASSWORD.*is not a kmsecret token/],
    ] as const) {
      const result = await runFn(resourceList([secret.replace(token, broken)]), env());
      expectFailure(result, 3, message);
    }
  });

  it('when no identity can open it, or there is no identity at all', async () => {
    const stranger = await ageKey();
    expectFailure(
      await runFn(resourceList([secret]), cleanEnv(stranger.env)),
      4,
      /none of your age identities can open this data key \(it is encrypted to 1 X25519 recipient\)/,
    );
    expectFailure(
      await runFn(resourceList([secret]), cleanEnv({ XDG_CONFIG_HOME: '/nonexistent', HOME: '/nonexistent' })),
      4,
      /no age identity: cannot read .*age\.key.*\n.*hint: set KMSECRET_AGE_KEY_FILE/,
    );
    expectFailure(await runFn(resourceList([secret]), cleanEnv({ KMSECRET_AGE_KEY: 'not a key' })), 4, /KMSECRET_AGE_KEY does not hold age identities/);
  });
});

describe('bad input gets a clear error', () => {
  it.each([
    ['malformed YAML in an item with a token', resourceList([`${configMap}  bad: [unclosed kmsecret:v2:x\n`]), 3, /items\[0\]: is not valid YAML/],
    ['not a ResourceList', 'apiVersion: v1\nkind: ConfigMap\n', 3, /stdin is not a ResourceList \(found apiVersion v1, kind ConfigMap\)/],
    ['empty stdin', '', 3, /stdin is empty/],
    ['several documents', `${resourceList([])}---\n${resourceList([])}`, 3, /not valid YAML/],
    [
      'an item with a token that is not a mapping',
      'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- just a string with kmsecret:v2:x in it\n',
      3,
      /items\[0\]: is not a mapping/,
    ],
    [
      'an unknown function config kind',
      resourceList([], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n'),
      3,
      /function config of kind Service is not one kmsecret-fn reads/,
    ],
    [
      'an unknown ConfigMap config key',
      resourceList([], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  mdoe: placeholder\n'),
      3,
      /unknown key mdoe/,
    ],
    [
      'a config of the wrong type',
      resourceList([], 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: x\nconcurrency: many\n'),
      3,
      /KmsSecretTransformer field concurrency must be integer/,
    ],
  ])('%s', async (_, input, code, message) => {
    expectFailure(await runFn(input, env()), code, message);
  });

  it('a KmsSecret that breaks the schema names the field', async () => {
    const bad = secret.replace('namespace: team-a', 'namespace: Team_A').replace('type: Opaque', 'type: Opaque\nstringData:\n  x: y');
    const result = await runFn(resourceList([bad]), env());
    expectFailure(result, 3, /KmsSecret field metadata\.namespace must be a lowercase DNS name/);
    expect(result.stderr).toMatch(/KmsSecret field stringData is not a field of this kind/);
  });

  it('a token where kmsecret-fn does not decrypt is refused, not passed on', async () => {
    const t = (await tokens(key.provider, key.recipient, { name: 'x', namespace: 'team-a', data: { A: 'one' } })).A as string;
    const cm = yaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'leaky', namespace: 'team-a' }, data: { A: t } });
    expectFailure(await runFn(resourceList([cm]), env()), 3, /ConfigMap team-a\/leaky data\.A: holds a kmsecret token where kmsecret-fn does not decrypt/);
    const plainSecret = cm.replace('kind: ConfigMap', 'kind: Secret');
    expectFailure(await runFn(resourceList([plainSecret]), env()), 3, /hint: kmsecret decrypts Secrets written as kind: KmsSecret/);
  });
});

describe('KMSECRET_NAMESPACES (set by the pipeline, not the repository)', () => {
  it('decrypts values bound to the listed namespaces only', async () => {
    expect((await runFn(resourceList([secret]), env({ KMSECRET_NAMESPACES: 'team-a,team-c' }))).code).toBe(0);
    expectFailure(
      await runFn(resourceList([secret]), env({ KMSECRET_NAMESPACES: 'team-b' })),
      4,
      /data\.DB_PASSWORD: value is bound to namespace team-a, which this run may not decrypt \(KMSECRET_NAMESPACES=team-b\)/,
    );
    const wide = await kmsSecretYaml(key.provider, key.recipient, { name: 'wide', scope: 'cluster-wide', data: { A: plaintexts[0] as string } });
    expect((await runFn(resourceList([wide]), env())).code).toBe(0);
    expectFailure(
      await runFn(resourceList([wide]), env({ KMSECRET_NAMESPACES: 'team-a' })),
      4,
      /value is cluster-wide \(bound to no namespace\), which this run does not decrypt/,
    );
  });
});

describe('placeholder mode', () => {
  it("is also the config's mode: placeholder", async () => {
    const result = await runFn(
      resourceList([secret], 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: t\nmode: placeholder\n'),
      cleanEnv(),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^kmsecret: placeholder render: 3 values/);
  });

  it('renders without any key, says so once on stderr, and marks the Secret', async () => {
    const result = await runFn(resourceList([secret]), cleanEnv({ KMSECRET_PLACEHOLDER: '1' }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('kmsecret: placeholder render: 3 values replaced by placeholders, nothing decrypted (do not deploy this output)\n');
    const s = parseList(result.stdout).items[0] as Record<string, any>;
    expect(s.metadata.annotations['kmsecret.dev/placeholder']).toBe('true');
    expect(decodeData(s)).toEqual({
      DB_PASSWORD: 'kmsecret-placeholder:team-a/app-secrets/DB_PASSWORD',
      API_TOKEN: 'kmsecret-placeholder:team-a/app-secrets/API_TOKEN',
      'notes.txt': 'kmsecret-placeholder:team-a/app-secrets/notes.txt',
    });
    expectNoPlaintext(result.stdout + result.stderr, plaintexts);
  });

  it('still refuses a token that sits where it was not bound', async () => {
    const moved = secret.replace('name: app-secrets', 'name: other');
    expectFailure(await runFn(resourceList([moved]), cleanEnv({ KMSECRET_PLACEHOLDER: 'true' })), 3, /was encrypted as/);
  });
});
