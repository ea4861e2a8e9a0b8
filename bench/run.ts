// npm run bench: what a render costs, against its floor and against the
// per-value approach, with numbers anyone can reproduce.
//
//   npm run bench [-- --latency-ms 20 --runs 5 --sizes 1,10,100,1000 --full]
//
// Starts the project's KMS test server with an injected round-trip latency,
// generates synthetic inputs, runs the built dist/kmsecret-fn.mjs as kpt and
// kustomize do (a process per render, ResourceList on stdin), and prints a table;
// bench/results.json and bench/results.svg hold the same.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { AwsKmsProvider } from '../functions/providers/aws-kms.js';
import { startKmsServer, type KmsTestServer } from '../test/kms-server/server.js';
import { deployments, kmsSecrets, plainResources, resourceList } from './generate.js';
import { measure, median, repeat } from './measure.js';
import { plot } from './plot.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fn = join(root, 'dist', 'kmsecret-fn.mjs');
const perValue = join(root, 'build', 'per-value.mjs');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}
const latencyMs = Number(option('latency-ms', '20'));
const runs = Number(option('runs', '5'));
const sizes = option('sizes', '1,10,100,1000').split(',').map(Number);
const full = process.argv.includes('--full');
/** For quick iterations: leave out the slow comparison runs. */
const skip = new Set(
  option('skip', '')
    .split(',')
    .filter((s) => s !== ''),
);
const concurrency = 16;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const log = (text: string) => process.stderr.write(`${text}\n`);

function awsEnv(server: KmsTestServer): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL_KMS: server.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    KMSECRET_CONCURRENCY: String(concurrency),
    KMSECRET_TIMEOUT: '600',
  };
}

const node = (args: string[], stdin?: string, env?: NodeJS.ProcessEnv) => () => measure(process.execPath, args, { stdin, env });

interface ScalingRow {
  case: string;
  size: number;
  values: number;
  kmsCalls: number;
  wallMs: number;
  rssMiB?: number;
  floorMs: number;
  withinGoal: boolean;
  perValueMs?: number;
  perValueEstimated?: boolean;
  speedup?: number;
}

async function main(): Promise<void> {
  const server = await startKmsServer();
  server.createKey({ alias: 'alias/bench' });
  Object.assign(process.env, awsEnv(server));
  const provider = new AwsKmsProvider();
  const env = awsEnv(server);
  const results: Record<string, unknown> = {};

  log('startup: kmsecret-fn on an empty ResourceList against node -e 0');
  const nodeZero = await repeat(20, node(['-e', '0']));
  const empty = await repeat(20, node([fn], resourceList([]), env));
  results.startup = { nodeMs: nodeZero.wallMs, fnMs: empty.wallMs, overheadMs: empty.wallMs - nodeZero.wallMs, goalMs: 60, rssMiB: empty.rssMiB };

  const rows: ScalingRow[] = [];
  const floor = (calls: number) => nodeZero.wallMs + Math.ceil(calls / concurrency) * latencyMs;
  for (const kind of ['KmsSecrets', 'Deployments'] as const) {
    for (const size of sizes) {
      server.faults = {};
      const input = kind === 'KmsSecrets' ? await kmsSecrets(provider, 'alias/bench', size) : await deployments(provider, 'alias/bench', size);
      const list = resourceList(input.items);
      server.faults = { latencyMs };
      server.reset();
      server.faults = { latencyMs };
      const n = size >= 1000 ? Math.min(runs, 3) : runs;
      log(`${kind}: ${size} (${input.values} values), ${n} runs`);
      const timed = await repeat(n, node([fn], list, env));
      const kmsCalls = server.count('Decrypt') / n;
      const row: ScalingRow = {
        case: kind === 'KmsSecrets' ? 'KmsSecrets × 10 keys' : 'Deployments × 5 env values',
        size,
        values: input.values,
        kmsCalls,
        wallMs: timed.wallMs,
        floorMs: floor(kmsCalls),
        withinGoal: timed.wallMs <= 1.5 * floor(kmsCalls) + 50,
      };
      if (timed.rssMiB !== undefined) row.rssMiB = timed.rssMiB;
      if (kind === 'KmsSecrets') {
        const measured = size <= 100 || full;
        if (skip.has('per-value')) {
          // left out (--skip per-value)
        } else if (measured) {
          server.faults = {};
          const client = new KMSClient({});
          const blobs: string[] = [];
          for (let i = 0; i < input.values; i++) {
            const out = await client.send(new EncryptCommand({ KeyId: 'alias/bench', Plaintext: new TextEncoder().encode(`value-${i}`) }));
            blobs.push(JSON.stringify({ blob: Buffer.from(out.CiphertextBlob as Uint8Array).toString('base64') }));
          }
          server.faults = { latencyMs };
          const shush = await repeat(size >= 100 ? Math.min(runs, 3) : runs, node([perValue], `${blobs.join('\n')}\n`, env));
          row.perValueMs = shush.wallMs;
        } else {
          // 10 values × size sequential calls: estimated from the measured per-call cost at size 100.
          const at100 = rows.find((r) => r.case === row.case && r.size === 100 && r.perValueMs !== undefined);
          if (at100?.perValueMs !== undefined) {
            row.perValueMs = nodeZero.wallMs + ((at100.perValueMs - nodeZero.wallMs) / at100.values) * input.values;
            row.perValueEstimated = true;
          }
        }
        if (row.perValueMs !== undefined) row.speedup = row.perValueMs / row.wallMs;
      }
      rows.push(row);
    }
  }
  results.scaling = rows;

  log('pass-through: 10,000 resources with no tokens, kpt fn eval --exec');
  const pkg = mkdtempSync(join(tmpdir(), 'kmsecret-bench-pkg-'));
  plainResources(10_000).forEach((text, i) => writeFileSync(join(pkg, `r-${i}.yaml`), text));
  const copy = join(pkg, '..', `copy-stdin-${process.pid}.sh`);
  writeFileSync(copy, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
  const kptRuns = Math.min(runs, 3);
  const hasKpt = spawnSync('kpt', ['version'], { stdio: 'ignore' }).status === 0;
  if (hasKpt && !skip.has('kpt')) {
    const viaCopy = await repeat(kptRuns, () => measure('kpt', ['fn', 'eval', pkg, '--exec', copy, '-o', 'stdout'], { env }));
    const viaFn = await repeat(kptRuns, () => measure('kpt', ['fn', 'eval', pkg, '--exec', fn, '-o', 'stdout'], { env }));
    const source = spawnSync('kpt', ['fn', 'source', pkg], { encoding: 'utf8', maxBuffer: 1 << 30 }).stdout;
    const alone = await repeat(runs, node([fn], source, env));
    results.passThrough = {
      resources: 10_000,
      inputMiB: Buffer.byteLength(source) / 2 ** 20,
      kptCopyMs: viaCopy.wallMs,
      kptKmsecretMs: viaFn.wallMs,
      ratio: viaFn.wallMs / viaCopy.wallMs,
      goalRatio: 1.5,
      functionAloneMs: alone.wallMs,
      functionAloneRssMiB: alone.rssMiB,
    };
  } else {
    log('kpt not found: pass-through case skipped');
  }
  rmSync(pkg, { recursive: true, force: true });
  rmSync(copy, { force: true });

  log('throttling: 100 KmsSecrets while the server throttles');
  const throttled = await kmsSecrets(provider, 'alias/bench', 100);
  const throttling = [];
  for (const [label, faults] of [
    ['quota of 8 in flight', { latencyMs, throttleAboveInFlight: 8 }],
    ['30% of calls throttled', { latencyMs, throttleRate: 0.3, seed: 3 }],
  ] as const) {
    const samples = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      server.reset();
      server.faults = { ...faults };
      const s = await measure(process.execPath, [fn], { stdin: resourceList(throttled.items), env: { ...env, KMSECRET_MAX_ATTEMPTS: '20' } });
      if (s.code !== 0) throw new Error(`throttled run failed: ${s.stderr}`);
      samples.push({
        wallMs: s.wallMs,
        calls: server.count('Decrypt'),
        throttled: server.calls.filter((c) => c.error === 'ThrottlingException').length,
        maxInFlight: server.maxInFlight,
      });
    }
    throttling.push({
      scenario: label,
      dataKeys: 100,
      wallMs: median(samples.map((s) => s.wallMs)),
      calls: median(samples.map((s) => s.calls)),
      throttled: median(samples.map((s) => s.throttled)),
      maxInFlight: Math.max(...samples.map((s) => s.maxInFlight)),
    });
  }
  results.throttling = throttling;
  await server.close();

  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kpt: hasKpt ? spawnSync('kpt', ['version'], { encoding: 'utf8' }).stdout.trim() : undefined,
  };
  const report = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    latencyMs,
    concurrency,
    runs,
    machine,
    ...results,
  };
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  const kms = rows.filter((r) => r.case.startsWith('KmsSecrets'));
  writeFileSync(
    join(root, 'bench', 'results.svg'),
    plot(
      [
        { name: 'kmsecret-fn', color: '#1f6feb', points: kms.map((r) => [r.size, r.wallMs]) },
        { name: 'floor', color: '#2da44e', dashed: true, points: kms.map((r) => [r.size, r.floorMs]) },
        { name: 'per-value (shush)', color: '#cf222e', points: kms.filter((r) => r.perValueMs).map((r) => [r.size, r.perValueMs as number]) },
      ],
      `Render time, KMS round trip ${latencyMs} ms (median of ${runs} runs)`,
    ),
  );
  process.stdout.write(table(report as unknown as Report));
}

interface Report {
  latencyMs: number;
  concurrency: number;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string };
  startup: { nodeMs: number; fnMs: number; overheadMs: number };
  scaling: ScalingRow[];
  passThrough?: {
    resources: number;
    inputMiB: number;
    kptCopyMs: number;
    kptKmsecretMs: number;
    ratio: number;
    functionAloneMs: number;
    functionAloneRssMiB?: number;
  };
  throttling: Array<{ scenario: string; dataKeys: number; wallMs: number; calls: number; throttled: number; maxInFlight: number }>;
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

export function table(r: Report): string {
  const lines: string[] = [];
  lines.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}. KMS round trip ${r.latencyMs} ms, concurrency ${r.concurrency}.`,
    '',
  );
  lines.push('| case | size | values | KMS calls | kmsecret-fn | peak RSS | floor | within 1.5× floor + 50 ms | per-value (shush) | speed-up |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const row of r.scaling) {
    const pv = row.perValueMs === undefined ? '—' : `${ms(row.perValueMs)}${row.perValueEstimated ? ' (est.)' : ''}`;
    lines.push(
      `| ${row.case} | ${row.size} | ${row.values} | ${row.kmsCalls} | ${ms(row.wallMs)} | ${row.rssMiB ? `${Math.round(row.rssMiB)} MiB` : '—'} | ${ms(row.floorMs)} | ${row.withinGoal ? 'yes' : 'NO'} | ${pv} | ${row.speedup ? `${row.speedup.toFixed(1)}×` : '—'} |`,
    );
  }
  const overhead = Math.round(r.startup.overheadMs);
  lines.push(
    '',
    `Startup: kmsecret-fn on an empty ResourceList ${ms(r.startup.fnMs)}, node -e 0 ${ms(r.startup.nodeMs)}: ${overhead >= 0 ? '+' : '−'}${Math.abs(overhead)} ms (goal ≤ +60 ms).`,
  );
  if (r.passThrough) {
    const p = r.passThrough;
    lines.push(
      `Pass-through, ${p.resources} resources without tokens (${p.inputMiB.toFixed(1)} MiB): kpt fn eval with a copy-only function ${ms(p.kptCopyMs)}, with kmsecret-fn ${ms(p.kptKmsecretMs)} (${p.ratio.toFixed(2)}×, goal ≤ 1.5×); kmsecret-fn alone ${ms(p.functionAloneMs)}${p.functionAloneRssMiB ? `, peak RSS ${Math.round(p.functionAloneRssMiB)} MiB` : ''}.`,
    );
  }
  for (const t of r.throttling) {
    lines.push(
      `Throttling (${t.scenario}): ${t.dataKeys} data keys in ${ms(t.wallMs)}, ${t.calls} KMS calls of which ${t.throttled} throttled, at most ${t.maxInFlight} in flight.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

await main();
