// What every part of the benchmark shares: the options, the KMS test server,
// the one environment every measured process runs with, and where the built
// executables are.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KmsTestServer } from '../test/kms-server/server.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const fnPath = join(root, 'dist', 'kmsecret-fn.mjs');
export const cliPath = join(root, 'dist', 'kmsecret.mjs');
export const perValuePath = join(root, 'build', 'per-value.mjs');
export const sdkCpuPath = join(root, 'build', 'sdk-cpu.mjs');

export interface Options {
  latencyMs: number;
  runs: number;
  sizes: number[];
  concurrency: number;
  /** --quick: sizes up to 100, 3 runs, and none of the slow comparisons. */
  quick: boolean;
  /** --full: also the comparisons that take minutes (per-value at 1000). */
  full: boolean;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export function readOptions(): Options {
  const quick = process.argv.includes('--quick');
  return {
    latencyMs: Number(option('latency-ms') ?? 20),
    runs: Number(option('runs') ?? (quick ? 3 : 5)),
    sizes: (option('sizes') ?? (quick ? '1,10,100' : '1,10,100,1000')).split(',').map(Number),
    concurrency: 16,
    quick,
    full: process.argv.includes('--full'),
  };
}

/** Left out of every measured process alike: this machine sets NODE_EXTRA_CA_CERTS, which makes
 *  every Node start read a CA bundle (tens of milliseconds), ours and `node -e 0`'s. */
export const leftOut = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

/** The one environment of every process the benchmark measures or compares. */
export function benchEnv(server: KmsTestServer, concurrency: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    AWS_ENDPOINT_URL_KMS: server.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    KMSECRET_CONCURRENCY: String(concurrency),
    KMSECRET_TIMEOUT: '600',
    KMSECRET_MAX_DATA_KEYS: '100000',
  };
}

export const log = (text: string): void => void process.stderr.write(`${text}\n`);
