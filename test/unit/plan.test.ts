// The planner (functions/render/plan.ts): pure, so what it finds — and therefore
// how many provider calls a render makes — is tested without any key.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KmsecretError } from '../../functions/errors.js';
import { ItemList, readResourceList, readStream } from '../../functions/krm/resource-list.js';
import { defaultEnv, type RenderConfig } from '../../functions/model/config.js';
import { itemsOfConcern, mayConcern, plan, type Plan } from '../../functions/render/plan.js';
import { unwrapIdOf } from '../../functions/render/values.js';
import { ageKey, type AgeKey, envTokens, kmsSecretYaml } from '../helpers/fixtures.js';

const config: RenderConfig = { mode: 'decrypt', concurrency: 16, timeoutMs: 30_000, env: defaultEnv };
let key: AgeKey;
let secret: string;
let other: string;
let workload: string;
beforeAll(async () => {
  key = await ageKey();
  secret = await kmsSecretYaml(key.provider, key.recipient, { name: 'app', namespace: 'team-a', data: { A: 'a', B: 'b' } });
  other = await kmsSecretYaml(key.provider, key.recipient, { name: 'other', namespace: 'team-a', data: { C: 'c' } });
  const t = await envTokens(key.provider, key.recipient, { workload: 'web', namespace: 'team-a', values: { T: 't', U: 'u' } });
  workload = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: T\n          value: ${t.T}\n        - name: U\n          value: ${t.U}\n        - name: PLAIN\n          value: x\n`;
});

const planOf = (docs: string[], policy = { orchestrator: 'kustomize' as const }) => plan(ItemList.of(readStream(docs.join('---\n'))), config, policy);
const ok = (result: Plan | KmsecretError[]): Plan => {
  if (Array.isArray(result)) throw new Error(result.map((e) => e.message).join('; '));
  return result;
};

describe('plan', () => {
  it('finds every value, and one provider call per data key among them', () => {
    const p = ok(planOf([secret, other, workload, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n']));
    expect(p.conversions.map((c) => c.values.map((v) => v.key))).toEqual([['A', 'B'], ['C']]);
    expect(p.workloads.map((w) => w.values.map((v) => v.name))).toEqual([['T', 'U']]);
    expect(p.values).toHaveLength(5);
    expect(new Set(p.values.map(unwrapIdOf)).size).toBe(3);
  });

  it('parses only what could concern it, and passes what it cannot read when it holds nothing of ours', () => {
    const items = readStream(
      ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, name: dup}\n', 'kind: Thing\nnote: KMS_ENCRYPTED_ in a comment\nx: [unclosed\n', secret].join(
        '---\n',
      ),
    );
    const p = ok(plan(ItemList.of(items), config, { orchestrator: 'kustomize' }));
    expect(items.map((i) => i.isParsed)).toEqual([false, false, true]);
    expect(p.values).toHaveLength(2);
  });

  it('reads an item whose escapes spell a marker of ours, and leaves unparsed one whose escapes spell nothing', () => {
    const token = /A: (\S+)/.exec(secret)?.[1] as string;
    const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: ${value}\n`;
    const items = readStream(
      [
        cm('"caf\\u00e9 \\x41"'),
        cm(`"\\\\x6b${token.slice(1)}"`), // an escaped backslash: the text says \x6b, not k
        cm(`"\\x6b${token.slice(1)}"`),
        cm(`"\\U0000006bmsecret\\x3a${token.slice(9)}"`),
        cm(`"kmse\\\n    ${token.slice(4)}"`),
        cm(`"kmse\\\n\n    ${token.slice(4)}"`), // a blank line after the continuation is a line break: read, and no token
        `kind: "KmsS\\x65cret"\nmetadata: {name: k}\n`,
      ].join('---\n'),
    );
    const errors = plan(ItemList.of(items), config, { orchestrator: 'kustomize' }) as KmsecretError[];
    expect(items.map((i) => i.isParsed)).toEqual([false, false, true, true, true, true, true]);
    expect(errors.map((e) => [e.message, e.place.field])).toEqual(
      Array.from({ length: 3 }, () => ['holds a kmsecret token where kmsecret-fn does not decrypt', 'data.x']),
    );
  });

  it('reads a tag spelled with %-escapes, and refuses an unreadable item whose continuation only go-yaml reads', () => {
    const token = /A: (\S+)/.exec(secret)?.[1] as string;
    const errors = planOf([
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: !!%62inary ${Buffer.from(token).toString('base64')}\n`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  x: "kmse\\\u2028cret${token.slice(8)}"\n`,
    ]) as KmsecretError[];
    expect(errors.map((e) => e.message)).toEqual(['holds a kmsecret token where kmsecret-fn does not decrypt', expect.stringMatching(/is not valid YAML/)]);
  });

  it('refuses an unreadable item that could hold a token, and a token where nothing decrypts it', () => {
    const errors = planOf([
      'kind: Thing\nx: [kmsecret:v2:age:x, unclosed\n',
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  A: ${/A: (\S+)/.exec(secret)?.[1]}\n`,
    ]) as KmsecretError[];
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/is not valid YAML/), 'holds a kmsecret token where kmsecret-fn does not decrypt']);
  });

  it('refuses values outside KMSECRET_NAMESPACES, and with an empty list, every value', () => {
    expect(ok(planOf([secret], { orchestrator: 'kustomize', allowedNamespaces: ['team-a'] } as never)).values).toHaveLength(2);
    expect((planOf([secret], { orchestrator: 'kustomize', allowedNamespaces: ['team-b'] } as never) as KmsecretError[]).map((e) => e.category)).toEqual([
      'decrypt',
      'decrypt',
    ]);
    expect(planOf([secret], { orchestrator: 'kustomize', allowedNamespaces: [] } as never)).toHaveLength(2);
  });

  it("drops kustomize's copy of a generator's own config", () => {
    const config2 = { ...config, generator: (readStream(secret)[0] as ReturnType<typeof readStream>[number]).parsed.value };
    const copy = secret.replace('metadata:\n', 'metadata:\n  annotations:\n    config.kubernetes.io/local-config: "true"\n');
    const p = ok(plan(ItemList.of(readStream(copy)), config2, { orchestrator: 'kustomize' }));
    expect(p.drop.size).toBe(1);
    expect(p.conversions).toHaveLength(1);
  });
});

describe('itemsOfConcern', () => {
  // Pieces that start (or nearly start) what mayConcern looks for, and text around them.
  const pieces = [
    'kmsecret:',
    'kmsecret',
    'KmsSecret',
    'Kms',
    'KMS_ENCRYPTED_',
    'MY_',
    '!!binary',
    ':binary',
    'binary',
    '!!%62inary',
    '!x%',
    '\\x6b',
    '\\u006B',
    '\\\n',
    '\\',
    '!',
    '%',
    ':',
    'a',
    ' ',
    '\n  ',
    '"',
    '#',
  ];
  const value = fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((parts) => parts.join(''));
  const item = fc
    .tuple(value, value)
    .map(
      ([a, b]) =>
        `- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: "${a.replace(/\n/g, ' ')}"\n  data:\n    k: |\n      ${b.replace(/\n/g, '\n      ')}\n`,
    );

  it('finds exactly the items mayConcern finds, with one scan of the input', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.constantFrom(['KMS_ENCRYPTED_'], ['MY_', 'KMS_ENCRYPTED_'], []), (items, prefixes) => {
        const text = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items.join('')}functionConfig:\n  data:\n    note: "kmsecret: !!binary \\x6b"\n`;
        const listed = readResourceList(text).items;
        expect(itemsOfConcern(listed, prefixes)).toEqual(listed.all().filter((i) => mayConcern(i.text, prefixes)));
      }),
      { numRuns: 2000 },
    );
  });
});
