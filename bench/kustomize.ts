// The kustomize forms side by side under `kubectl kustomize --enable-alpha-plugins`,
// with the legacy exec plugins `kmsecret install-plugin` links:
//
//   plain            N plain Secrets under resources: (what kustomize costs without us)
//   KmsSecretGenerator  one generator entry listing N KmsSecret files: one plugin process
//   single-file      N generator entries, each a KmsSecret file: N plugin processes
//   transformer      N KmsSecret files under resources:, one KmsSecretTransformer
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyProvider } from '../functions/providers/provider.js';
import type { KmsTestServer } from '../test/kms-server/server.js';
import { cliPath, log, type Options } from './context.js';
import { kmsSecrets, plainSecrets } from './generate.js';
import { measure, repeat, type Timed } from './measure.js';

export type KustomizeForm = 'plain' | 'KmsSecretGenerator' | 'single-file' | 'transformer';

export interface KustomizeRow extends Timed {
  form: KustomizeForm;
  secrets: number;
  runs: number;
  kmsCalls: number;
  /** This form's wall time over plain kustomize's with as many Secrets. */
  vsPlain?: number;
}

const run = promisify(execFile);
const list = (files: string[]) => files.map((f) => `- ${f}\n`).join('');

function layout(form: KustomizeForm, files: string[]): Record<string, string> {
  switch (form) {
    case 'plain':
      return { 'kustomization.yaml': `resources:\n${list(files)}` };
    case 'KmsSecretGenerator':
      return {
        'kustomization.yaml': 'generators:\n- secrets.yaml\n',
        'secrets.yaml': `apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretGenerator\nmetadata:\n  name: secrets\nfiles:\n${list(files)}`,
      };
    case 'single-file':
      return { 'kustomization.yaml': `generators:\n${list(files)}` };
    case 'transformer':
      return {
        'kustomization.yaml': `resources:\n${list(files)}transformers:\n- decrypt.yaml\n`,
        'decrypt.yaml': 'apiVersion: kmsecret.dev/v1alpha1\nkind: KmsSecretTransformer\nmetadata:\n  name: decrypt\n',
      };
  }
}

/** A form that renders something else than N decrypted Secrets measures nothing. */
/** (Asynchronous: the KMS test server answers from this process's event loop.) */
async function verify(work: string, size: number, env: NodeJS.ProcessEnv): Promise<void> {
  const out = await run('kubectl', ['kustomize', '--enable-alpha-plugins', work], { env, maxBuffer: 1 << 30 }).catch((e: { stderr?: string }) => ({
    stdout: '',
    stderr: e.stderr ?? String(e),
  }));
  const secrets = out.stdout.match(/^kind: Secret$/gm)?.length ?? 0;
  if (secrets !== size || out.stdout.includes('kmsecret:')) {
    throw new Error(`kubectl kustomize ${work} did not render ${size} decrypted Secrets (${secrets} Secrets): ${out.stderr.slice(0, 500)}`);
  }
}

export async function kustomizeForms(server: KmsTestServer, provider: KeyProvider, keyId: string, env: NodeJS.ProcessEnv, o: Options): Promise<KustomizeRow[]> {
  if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status !== 0) {
    log('kubectl not found: kustomize forms skipped');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'kmsecret-bench-kustomize-'));
  const pluginHome = join(dir, 'plugins');
  const installed = spawnSync(process.execPath, [cliPath, 'install-plugin', '--dir', pluginHome], { env, encoding: 'utf8' });
  if (installed.status !== 0) throw new Error(`install-plugin failed: ${installed.stderr}`);
  const kustomizeEnv = { ...env, KUSTOMIZE_PLUGIN_HOME: pluginHome };
  const rows: KustomizeRow[] = [];
  try {
    for (const size of o.sizes.filter((s) => s >= 10)) {
      server.faults = {};
      const encrypted = await kmsSecrets(provider, keyId, size);
      const plain = plainSecrets(size);
      let plainMs: number | undefined;
      for (const form of ['plain', 'KmsSecretGenerator', 'transformer', 'single-file'] as const) {
        // N processes at N = 1000 take minutes a run: one run there.
        const runs = form === 'single-file' && size >= 1000 ? 1 : size >= 1000 ? Math.min(3, o.runs) : o.runs;
        if (form === 'single-file' && size >= 1000 && o.quick) continue;
        const work = join(dir, `${form}-${size}`);
        mkdirSync(work, { recursive: true });
        const texts = form === 'plain' ? plain : encrypted.items;
        const files = texts.map((_, i) => `s-${i}.${form === 'plain' ? 'yaml' : 'kmsecret.yaml'}`);
        texts.forEach((text, i) => writeFileSync(join(work, files[i] as string), text));
        for (const [name, text] of Object.entries(layout(form, files))) writeFileSync(join(work, name), text);
        log(`kustomize ${form}: ${size} Secrets, ${runs} run${runs > 1 ? 's' : ''}`);
        server.faults = {};
        await verify(work, size, kustomizeEnv);
        server.reset();
        server.faults = { latencyMs: o.latencyMs };
        const timed = await repeat(runs, () => measure('kubectl', ['kustomize', '--enable-alpha-plugins', work], { env: kustomizeEnv }));
        const row: KustomizeRow = { form, secrets: size, runs, kmsCalls: server.count('Decrypt') / runs, ...timed };
        if (form === 'plain') plainMs = timed.wallMs;
        else if (plainMs !== undefined) row.vsPlain = timed.wallMs / plainMs;
        rows.push(row);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
