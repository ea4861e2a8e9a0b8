// The README's "AWS examples on your machine": `npm run kms-server` starts the
// project's KMS test server with the example keys and prints the environment to
// export; with exactly that environment, kubectl kustomize renders the AWS example
// and kmsecret decrypts it — by hand, as a user would, no test helper in between.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { exampleKeys } from '../helpers/example-keys.js';
import { decodeData } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run, runCli } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

let server: ChildProcess | undefined;
let printed = '';
let exported: Record<string, string> = {};
let closed: Promise<number | null> | undefined;

/** The documented command, in a process group of its own (npm runs node under a shell). */
function startServer(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'kms-server', '--', '--port', '0'], {
      cwd: repoRoot,
      env: cleanEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let errors = '';
    closed = new Promise((done) => child.on('close', (code) => done(code)));
    child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      printed += d.toString();
      // Ready once it has printed the last line of the environment.
      if (/^export AWS_SECRET_ACCESS_KEY=.*\n/m.test(printed)) resolve();
    });
    child.on('error', reject);
    void closed.then((code) => reject(new Error(`npm run kms-server ended (${code}) before it was ready: ${errors}`)));
  });
}

beforeAll(async () => {
  await startServer();
  exported = Object.fromEntries([...printed.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]));
});

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    process.kill(-server.pid, 'SIGTERM');
    await closed;
  }
});

describe('npm run kms-server', () => {
  it('prints the environment to export: the endpoint on 127.0.0.1, the example region, placeholder credentials', () => {
    expect(Object.keys(exported)).toEqual(['AWS_ENDPOINT_URL_KMS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(exported.AWS_ENDPOINT_URL_KMS).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(exported.AWS_REGION).toBe('eu-west-1');
    for (const { alias } of exampleKeys) expect(printed).toContain(alias);
    // The README shows the same lines (with the default port).
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const [name, value] of Object.entries(exported)) {
      expect(readme).toContain(`export ${name}=${name === 'AWS_ENDPOINT_URL_KMS' ? 'http://127.0.0.1:4599' : value}`);
    }
  });

  it('kmsecret decrypts an example with that environment and nothing else', async () => {
    const result = await runCli(['decrypt', join(repoRoot, 'examples', 'aws-kms-kpt', 'shop-secrets.kmsecret.yaml')], { env: cleanEnv(exported) });
    expect(result.code, result.stderr).toBe(0);
    const secret = parseAllDocuments(result.stdout)[0]?.toJS();
    expect(decodeData(secret)).toMatchObject({ DATABASE_URL: 'postgres://shop:staging-pass@db/shop', PAYMENT_API_TOKEN: 'pay_test_staging_789' });
    const aws = ['aws-kms-kustomize', 'aws-kms-kpt', 'transformer', 'shush-migration'].map((name) => join('examples', name));
    const checked = await runCli(['check', '--decrypt', ...aws], { env: cleanEnv(exported), cwd: repoRoot });
    expect(checked.code, checked.stdout).toBe(0);
    expect(checked.stderr).toMatch(/all decrypted/);
  });

  describeWith(['kubectl'], 'by hand', () => {
    it('kmsecret install-plugin && kubectl kustomize --enable-alpha-plugins examples/aws-kms-kustomize/overlays/dev', async () => {
      const env = cleanEnv({ ...exported, KUSTOMIZE_PLUGIN_HOME: join(tempDir(), 'plugins') });
      expect((await runCli(['install-plugin'], { env })).code).toBe(0);
      const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', 'examples/aws-kms-kustomize/overlays/dev'], { env, cwd: repoRoot });
      expect(result.code, result.stderr).toBe(0);
      const secret = parseAllDocuments(result.stdout)
        .map((d) => d.toJS())
        .find((d) => d.kind === 'Secret');
      expect(secret.metadata.namespace).toBe('shop-dev');
      expect(decodeData(secret)).toMatchObject({ DATABASE_URL: 'postgres://shop:dev-pass@db.shop-dev/shop', PAYMENT_API_TOKEN: 'pay_test_dev_123' });
    });
  });

  it('refuses a port that is not one, and says how to pick another', async () => {
    const result = await run('node', [join(repoRoot, 'scripts', 'kms-server.mjs'), '--port', 'many'], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kms-server: --port takes a port number (0 picks a free one)\n');
  });
});
