// npm run bench: what a render costs, against its floor, against plain
// kustomize and against the per-value approach, with numbers anyone can reproduce.
//
//   npm run bench [-- --latency-ms 20 --runs 5 --sizes 1,10,100,1000 --quick --full]
//
// Starts the project's KMS test server with an injected round trip, generates
// synthetic inputs, and runs the built executables as kpt and kustomize do (a
// process per render). Every process measured or compared runs with one
// environment (context.ts); wall time, CPU time and peak RSS come from
// measure.ts. Prints the table the README's Performance section holds;
// bench/results.json and bench/results.svg hold the same.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { execFile, spawnSync } from 'node:child_process';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { AwsKmsProvider } from '../functions/providers/aws-kms.js';
import { startKmsServer, type KmsTestServer } from '../test/kms-server/server.js';
import { dataKeyContext } from '../functions/token/sealer.js';
import { benchEnv, fnPath, leftOut, log, type Options, perValuePath, readOptions, root, sdkCpuPath } from './context.js';
import { deployments, kmsSecrets, resourceList } from './generate.js';
import { compileCache } from './compile-cache.js';
import { kustomizeForms } from './kustomize.js';
import { interleave, measure, measuresCpu, median, repeat, type Timed } from './measure.js';
import { kptPassThrough, stdinPassThrough } from './pass-through.js';
import { plot } from './plot.js';
import { type Report, type ScalingRow, table } from './report.js';

const keyId = 'alias/bench';
/** Asynchronous: the KMS test server answers from this process. */
const execFileAsync = promisify(execFile);

async function startup(env: NodeJS.ProcessEnv): Promise<Report['startup']> {
  log('start-up: kmsecret-fn on an empty ResourceList against node -e 0, 21 runs each, in turn');
  const [node, fn] = (await interleave(
    21,
    () => measure(process.execPath, ['-e', '0'], { env }),
    () => measure(process.execPath, [fnPath], { stdin: resourceList([]), env }),
  )) as [Timed, Timed];
  return { node, fn, overheadMs: fn.wallMs - node.wallMs, goalMs: 60 };
}

/** The function's own cost per data key: renders of 1 and of 1000 KmsSecrets with KMS answering
 *  at once; the CPU between them over the data keys between them. The render of one is the
 *  start-up of a render that decrypts (the AWS SDK loaded, one call made). */
async function perDataKey(server: KmsTestServer, provider: AwsKmsProvider, env: NodeJS.ProcessEnv, o: Options): Promise<Report['perDataKey']> {
  const size = 1000;
  server.faults = {};
  const one = resourceList((await kmsSecrets(provider, keyId, 1)).items);
  const many = resourceList((await kmsSecrets(provider, keyId, size)).items);
  const runs = Math.min(o.runs, 3);
  log(`per data key: 1 and ${size} KmsSecrets, KMS answering at once, ${runs} runs each`);
  const [first, all] = (await interleave(
    runs,
    () => measure(process.execPath, [fnPath], { stdin: one, env }),
    () => measure(process.execPath, [fnPath], { stdin: many, env }),
  )) as [Timed, Timed];
  const cpuMs = first.cpuMs !== undefined && all.cpuMs !== undefined ? (all.cpuMs - first.cpuMs) / (size - 1) : undefined;
  return { dataKeys: size, oneKey: first, all, ...(cpuMs === undefined ? {} : { cpuMs }) };
}

/** CPU per Decrypt: kmsecret's calls against a KMSClient with the SDK's defaults, same calls, same run. */
async function sdkCpu(server: KmsTestServer, provider: AwsKmsProvider, env: NodeJS.ProcessEnv): Promise<Report['sdkCpu']> {
  const calls = [];
  server.faults = {};
  for (let i = 0; i < 1100; i++) {
    const home = { use: 'secret' as const, scope: 'strict' as const, namespace: 'bench', name: `sdk-${i}` };
    const context = dataKeyContext(home);
    const key = await provider.generateDataKey(keyId, context, new AbortController().signal);
    calls.push({ wrapped: Buffer.from(key.wrapped).toString('base64'), keyId: key.keyId, context });
  }
  const file = join(mkdtempSync(join(tmpdir(), 'kmsecret-bench-sdk-')), 'calls.json');
  writeFileSync(file, JSON.stringify(calls));
  const once = async (mode: 'ours' | 'default') =>
    JSON.parse((await execFileAsync(process.execPath, [sdkCpuPath, mode, file], { env })).stdout) as { userUs: number; systemUs: number };
  log("CPU per Decrypt: 1000 calls through kmsecret's provider and through a default KMSClient, 3 processes each, in turn");
  const ours: Array<{ userUs: number; systemUs: number }> = [];
  const defaults: Array<{ userUs: number; systemUs: number }> = [];
  for (let i = 0; i < 3; i++) {
    ours.push(await once('ours'));
    defaults.push(await once('default'));
  }
  rmSync(dirname(file), { recursive: true, force: true });
  const of = (samples: typeof ours) => ({ userUs: median(samples.map((s) => s.userUs)), systemUs: median(samples.map((s) => s.systemUs)) });
  return { calls: 1000, ours: of(ours), defaults: of(defaults) };
}

async function perValue(server: KmsTestServer, env: NodeJS.ProcessEnv, values: number, runs: number, latencyMs: number): Promise<number> {
  server.faults = {};
  const client = new KMSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });
  const blobs: string[] = [];
  for (let i = 0; i < values; i++) {
    const out = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new TextEncoder().encode(`value-${i}`) }));
    blobs.push(JSON.stringify({ blob: Buffer.from(out.CiphertextBlob as Uint8Array).toString('base64') }));
  }
  server.faults = { latencyMs };
  return (await repeat(runs, () => measure(process.execPath, [perValuePath], { stdin: `${blobs.join('\n')}\n`, env }))).wallMs;
}

async function scaling(
  server: KmsTestServer,
  provider: AwsKmsProvider,
  env: NodeJS.ProcessEnv,
  floor: (calls: number) => number,
  o: Options,
): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const kind of ['KmsSecrets', 'Deployments'] as const) {
    for (const size of o.sizes) {
      server.faults = {};
      const input = kind === 'KmsSecrets' ? await kmsSecrets(provider, keyId, size) : await deployments(provider, keyId, size);
      const runs = size >= 1000 ? Math.min(o.runs, 3) : o.runs;
      log(`stdin ${kind}: ${size} (${input.values} values), ${runs} runs`);
      server.reset();
      server.faults = { latencyMs: o.latencyMs };
      const timed = await repeat(runs, () => measure(process.execPath, [fnPath], { stdin: resourceList(input.items), env }));
      const kmsCalls = server.count('Decrypt') / runs;
      const row: ScalingRow = {
        case: kind === 'KmsSecrets' ? 'KmsSecrets × 10 keys' : 'Deployments × 5 env values',
        size,
        values: input.values,
        kmsCalls,
        ...timed,
        floorMs: floor(kmsCalls),
      };
      if (kind === 'KmsSecrets' && (size <= 100 || o.full) && !o.quick) {
        row.perValueMs = await perValue(server, env, input.values, size >= 100 ? Math.min(o.runs, 3) : o.runs, o.latencyMs);
      } else if (kind === 'KmsSecrets' && !o.quick) {
        // 10 values × size sequential calls: estimated from the measured per-call cost at size 100.
        const at100 = rows.find((r) => r.case === row.case && r.size === 100 && r.perValueMs !== undefined);
        if (at100?.perValueMs !== undefined) {
          row.perValueMs = ((at100.perValueMs - floor(0)) / at100.values) * input.values + floor(0);
          row.perValueEstimated = true;
        }
      }
      rows.push(row);
    }
  }
  return rows;
}

async function throttling(server: KmsTestServer, provider: AwsKmsProvider, env: NodeJS.ProcessEnv, o: Options): Promise<Report['throttling']> {
  log('throttling: 100 KmsSecrets while the server throttles');
  server.faults = {};
  const input = await kmsSecrets(provider, keyId, 100);
  const rows: Report['throttling'] = [];
  for (const [scenario, faults] of [
    ['quota of 8 in flight', { latencyMs: o.latencyMs, throttleAboveInFlight: 8 }],
    ['30% of calls throttled', { latencyMs: o.latencyMs, throttleRate: 0.3, seed: 3 }],
  ] as const) {
    const samples = [];
    for (let i = 0; i < Math.min(o.runs, 3); i++) {
      server.reset();
      server.faults = { ...faults };
      const s = await measure(process.execPath, [fnPath], { stdin: resourceList(input.items), env: { ...env, KMSECRET_MAX_ATTEMPTS: '20' } });
      if (s.code !== 0) throw new Error(`throttled run failed: ${s.stderr}`);
      samples.push({
        wallMs: s.wallMs,
        calls: server.count('Decrypt'),
        throttled: server.calls.filter((c) => c.error === 'ThrottlingException').length,
        maxInFlight: server.maxInFlight,
      });
    }
    rows.push({
      scenario,
      dataKeys: 100,
      wallMs: median(samples.map((s) => s.wallMs)),
      calls: median(samples.map((s) => s.calls)),
      throttled: median(samples.map((s) => s.throttled)),
      maxInFlight: Math.max(...samples.map((s) => s.maxInFlight)),
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const o = readOptions();
  const server = await startKmsServer();
  server.createKey({ alias: keyId });
  const env = benchEnv(server, o.concurrency);
  // The inputs are sealed in this process, with the same AWS settings.
  Object.assign(process.env, env);
  const provider = new AwsKmsProvider();

  const started = await startup(env);
  const perKey = await perDataKey(server, provider, env, o);
  // What any render making these calls must cost: its start-up with one data key, the round
  // trips `concurrency` at a time, and its own CPU for every further data key.
  const floor = (calls: number) => perKey.oneKey.wallMs + Math.ceil(calls / o.concurrency) * o.latencyMs + (perKey.cpuMs ?? 0) * Math.max(0, calls - 1);
  const report: Report = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kubectl: spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).stdout?.match(/Kustomize Version: (\S+)/)?.[1],
      kpt: spawnSync('kpt', ['version'], { encoding: 'utf8' }).stdout?.trim(),
    },
    environment: { leftOut: leftOut.filter((v) => process.env[v] !== undefined), cpuMeasured: measuresCpu },
    latencyMs: o.latencyMs,
    concurrency: o.concurrency,
    runs: o.runs,
    startup: started,
    perDataKey: perKey,
    sdkCpu: await sdkCpu(server, provider, env),
    scaling: await scaling(server, provider, env, floor, o),
    kustomize: await kustomizeForms(server, provider, keyId, env, o),
    stdinPassThrough: await stdinPassThrough(server, provider, keyId, env, o),
    kptPassThrough: await kptPassThrough(env, o),
    throttling: await throttling(server, provider, env, o),
    compileCache: await compileCache(server, provider, keyId, env, o),
  };
  await server.close();

  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  const kms = report.scaling.filter((r) => r.case.startsWith('KmsSecrets'));
  writeFileSync(
    join(root, 'bench', 'results.svg'),
    plot(
      [
        { name: 'kmsecret-fn', color: '#1f6feb', points: kms.map((r) => [r.size, r.wallMs]) },
        { name: 'floor', color: '#2da44e', dashed: true, points: kms.map((r) => [r.size, r.floorMs]) },
        { name: 'per-value (shush)', color: '#cf222e', points: kms.filter((r) => r.perValueMs).map((r) => [r.size, r.perValueMs as number]) },
      ],
      `Render time, KMS round trip ${o.latencyMs} ms (median of ${o.runs} runs)`,
    ),
  );
  process.stdout.write(table(report));
}

await main();
