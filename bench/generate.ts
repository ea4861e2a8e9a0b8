// Synthetic inputs for the benchmark (and the KMS call count test): KmsSecrets
// of 10 keys, Deployments with 5 encrypted env values, plain resources.
import { sealerFor } from '../test/helpers/fixtures.js';
import type { KeyProvider } from '../functions/providers/provider.js';
import { stringify } from 'yaml';

export interface Generated {
  items: string[];
  /** Distinct data keys: what one render must cost in KMS calls. */
  dataKeys: number;
  values: number;
}

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

export async function kmsSecrets(provider: KeyProvider, keyId: string, count: number, keys = 10): Promise<Generated> {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `secret-${i}`;
    const sealer = await sealerFor(provider, keyId, { use: 'secret', scope: 'strict', namespace: 'bench', name });
    const data = Object.fromEntries(
      Array.from({ length: keys }, (_, k) => [`KEY_${k}`, sealer.seal(`KEY_${k}`, new TextEncoder().encode(`value-${i}-${k}-${'x'.repeat(24)}`))]),
    );
    items.push(yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name, namespace: 'bench' }, type: 'Opaque', data }));
  }
  return { items, dataKeys: count, values: count * keys };
}

export async function deployments(provider: KeyProvider, keyId: string, count: number, vars = 5): Promise<Generated> {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `web-${i}`;
    const sealer = await sealerFor(provider, keyId, { use: 'env', scope: 'strict', namespace: 'bench', name });
    const env = Array.from({ length: vars }, (_, k) => ({ name: `VAR_${k}`, value: sealer.seal(`VAR_${k}`, new TextEncoder().encode(`env-${i}-${k}`)) }));
    items.push(
      yaml({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: 'bench' },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', env }] } },
        },
      }),
    );
  }
  return { items, dataKeys: count, values: count * vars };
}

/** Plain Secrets shaped as kmsSecrets() makes them: plain kustomize's side of the comparison. */
export function plainSecrets(count: number, keys = 10): string[] {
  return Array.from({ length: count }, (_, i) =>
    yaml({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `secret-${i}`, namespace: 'bench' },
      type: 'Opaque',
      data: Object.fromEntries(Array.from({ length: keys }, (_, k) => [`KEY_${k}`, Buffer.from(`value-${i}-${k}-${'x'.repeat(24)}`).toString('base64')])),
    }),
  );
}

/** Resources with nothing of ours: ConfigMaps and Deployments, as a large overlay has them. */
export function plainResources(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ns-${i % 10}\n  labels:\n    app: demo # a comment\ndata:\n  date: 2020-01-01\n  mode: 0755\n  big: 12345678901234567890\n  text: |\n    line one\n    line two\n`
      : `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  namespace: ns-${i % 10}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        env:\n        - name: LOG_LEVEL\n          value: info\n`,
  );
}

export function resourceList(items: readonly string[]): string {
  const body =
    items.length === 0
      ? 'items: []\n'
      : `items:\n${items
          .map(
            (t) =>
              `${t
                .trimEnd()
                .split('\n')
                .map((l, i) => (i === 0 ? `- ${l}` : l === '' ? '' : `  ${l}`))
                .join('\n')}\n`,
          )
          .join('')}`;
  return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n${body}`;
}
