#!/usr/bin/env node
// npm run example: the one-minute quick start, done for you in a temp folder.
// 1. kmsecret keygen          a fresh local age key (no cloud)
// 2. kmsecret create          app-secrets.kmsecret.yaml, every value encrypted
// 3. kmsecret install-plugin  the kustomize plugin layout
// 4. kubectl kustomize --enable-alpha-plugins   → a plain Secret (hashed name) + the Deployment
// Without kubectl, step 4 pipes a ResourceList through kmsecret-fn instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', 'dist');
const work = mkdtempSync(join(tmpdir(), 'kmsecret-quickstart-'));
const say = (text) => process.stderr.write(`\n\x1b[1m${text}\x1b[0m\n`);
const kmsecret = (args, env = {}) => execFileSync(process.execPath, [join(dist, 'kmsecret.mjs'), ...args], { cwd: work, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });

try {
  cpSync(here, work, { recursive: true, filter: (src) => !src.endsWith('run.mjs') && !src.endsWith('README.md') });
  const keyFile = join(work, 'age.key');
  const env = { KMSECRET_AGE_KEY_FILE: keyFile, KUSTOMIZE_PLUGIN_HOME: join(work, 'plugins') };

  say('$ kmsecret keygen -w age.key');
  kmsecret(['keygen', '-w', keyFile]);
  const recipient = /# public key: (\S+)/.exec(readFileSync(keyFile, 'utf8'))[1];

  say(`$ kmsecret create app-secrets -n quickstart --key ${recipient.slice(0, 12)}… --from-env-file demo.env -w app-secrets.kmsecret.yaml`);
  kmsecret(['create', 'app-secrets', '-n', 'quickstart', '--key', recipient, '--from-env-file', 'demo.env', '-w', 'app-secrets.kmsecret.yaml']);
  process.stderr.write(readFileSync(join(work, 'app-secrets.kmsecret.yaml'), 'utf8').replace(/(kmsecret:v1:age:\S{24})\S+/g, '$1…'));

  say('$ kmsecret install-plugin');
  kmsecret(['install-plugin'], env);

  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  if (hasKubectl) {
    say('$ kubectl kustomize --enable-alpha-plugins .');
    const out = execFileSync('kubectl', ['kustomize', '--enable-alpha-plugins', '.'], { cwd: work, env: { ...process.env, ...env }, encoding: 'utf8' });
    process.stdout.write(out);
  } else {
    say('kubectl not found: rendering with kmsecret-fn directly (the KRM function kpt runs)');
    const item = readFileSync(join(work, 'app-secrets.kmsecret.yaml'), 'utf8').trimEnd().split('\n').map((l, i) => (i ? `  ${l}` : `- ${l}`)).join('\n');
    const list = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${item}\n`;
    process.stdout.write(execFileSync(process.execPath, [join(dist, 'kmsecret-fn.mjs')], { input: list, env: { ...process.env, ...env }, encoding: 'utf8' }));
  }
  say('The Secret above is what the cluster gets; app-secrets.kmsecret.yaml is what you commit.');
} finally {
  rmSync(work, { recursive: true, force: true });
}
