// Env values in every pod-bearing kind, through real kpt and real kubectl
// kustomize, in both outputs.
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { ageKey, type AgeKey, sealerFor } from '../helpers/fixtures.js';
import { expectNoPlaintext } from '../helpers/leaks.js';
import { binDir, writeFiles } from '../helpers/packages.js';
import { decodeData, parseList } from '../helpers/resource-list.js';
import { cleanEnv, run, runCli } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

type Doc = Record<string, any>;
const kinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'PodTemplate'] as const;
const value = (kind: string) => `env-${kind.toLowerCase()}-s3cr3t`;

function workload(kind: string, token: string): Doc {
  const name = kind.toLowerCase();
  const spec = {
    containers: [{ name: 'app', image: 'busybox', env: [{ name: 'TOKEN', value: token }] }],
    initContainers: [{ name: 'init', image: 'busybox', env: [{ name: 'TOKEN', value: token }] }],
  };
  const template = { metadata: { labels: { app: name } }, spec };
  const metadata = { name, namespace: 'team-a' };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata, spec };
  if (kind === 'PodTemplate') return { apiVersion: 'v1', kind, metadata, template };
  if (kind === 'CronJob') return { apiVersion: 'batch/v1', kind, metadata, spec: { schedule: '@daily', jobTemplate: { spec: { template } } } };
  if (kind === 'Job') return { apiVersion: 'batch/v1', kind, metadata, spec: { template } };
  return { apiVersion: 'apps/v1', kind, metadata, spec: { selector: { matchLabels: { app: name } }, template } };
}

const podSpec = (d: Doc): Doc =>
  d.kind === 'Pod' ? d.spec : d.kind === 'PodTemplate' ? d.template.spec : d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template.spec : d.spec.template.spec;

function check(docs: Doc[], inline: boolean): void {
  for (const kind of kinds) {
    const doc = docs.find((d) => d.kind === kind) as Doc;
    const spec = podSpec(doc);
    for (const container of [spec.containers[0], spec.initContainers[0]]) {
      const env = container.env[0];
      if (inline) expect(env).toEqual({ name: 'TOKEN', value: value(kind) });
      else {
        const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === env.valueFrom.secretKeyRef.name) as Doc;
        expect(decodeData(secret)[env.valueFrom.secretKeyRef.key]).toBe(value(kind));
        expectNoPlaintext(JSON.stringify(doc), [value(kind)], kind);
      }
    }
  }
  expect(JSON.stringify(docs)).not.toMatch(/kmsecret:v[0-9]/);
}

let key: AgeKey;
let root: string;
let files: Record<string, string>;
beforeAll(async () => {
  key = await ageKey();
  root = tempDir();
  files = {};
  for (const kind of kinds) {
    const sealer = await sealerFor(key.provider, key.recipient, { use: 'env', scope: 'strict', namespace: 'team-a', name: kind.toLowerCase() });
    files[`${kind.toLowerCase()}.yaml`] = stringify(workload(kind, sealer.seal('TOKEN', new TextEncoder().encode(value(kind)))), { lineWidth: 0 });
  }
});

describeWith(['kpt'], 'kpt fn eval, every kind', () => {
  it.each([false, true])('inline=%s', async (inline) => {
    const pkg = join(root, `kpt-${inline}`);
    writeFiles(pkg, { ...files, Kptfile: 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: env\n' });
    const env = cleanEnv({ ...key.env, PATH: `${binDir(join(root, `bin-${inline}`))}:${process.env.PATH}` });
    const result = await run('kpt', ['fn', 'eval', pkg, '--exec', 'kmsecret-fn', '-o', 'stdout', ...(inline ? ['--', 'envOutput=inline'] : [])], { env });
    expect(result.code, result.stderr).toBe(0);
    check(parseList(result.stdout).items as Doc[], inline);
  });
});

describeWith(['kubectl'], 'kubectl kustomize transformer, every kind', () => {
  it.each([false, true])('inline=%s', async (inline) => {
    const dir = join(root, `kustomize-${inline}`);
    const plugins = join(root, `plugins-${inline}`);
    expect((await runCli(['install-plugin', '--dir', plugins])).code).toBe(0);
    writeFiles(dir, {
      ...files,
      'kustomization.yaml': `resources:\n${Object.keys(files)
        .map((f) => `- ${f}`)
        .join('\n')}\ntransformers:\n- decrypt.yaml\n`,
      'decrypt.yaml': `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\nenv:\n  output: ${inline ? 'inline' : 'secretRef'}\n`,
    });
    const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env: cleanEnv({ ...key.env, KUSTOMIZE_PLUGIN_HOME: plugins }) });
    expect(result.code, result.stderr).toBe(0);
    check(
      parseAllDocuments(result.stdout).map((d) => d.toJS() as Doc),
      inline,
    );
  });
});
