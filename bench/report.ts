// The benchmark's report: results.json's shape, and the Markdown the README's
// Performance section is a copy of.
import type { CompileCacheRow } from './compile-cache.js';
import type { KustomizeRow } from './kustomize.js';
import type { Timed } from './measure.js';
import type { KptPass, StdinPassRow } from './pass-through.js';

export interface ScalingRow extends Timed {
  case: string;
  size: number;
  values: number;
  kmsCalls: number;
  floorMs: number;
  perValueMs?: number;
  perValueEstimated?: boolean;
}

export interface Report {
  date: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; kubectl?: string | undefined; kpt?: string | undefined };
  environment: { leftOut: string[]; cpuMeasured: boolean };
  latencyMs: number;
  concurrency: number;
  runs: number;
  startup: { node: Timed; fn: Timed; overheadMs: number; goalMs: number };
  /** Renders of one and of `dataKeys` KmsSecrets with KMS answering at once; the CPU between them per data key. */
  perDataKey: { dataKeys: number; oneKey: Timed; all: Timed; cpuMs?: number };
  /** CPU per Decrypt in microseconds: kmsecret's calls (its own request, the SDK's credentials and
   *  signer), and a KMSClient with the SDK's defaults (0.1.0's). */
  sdkCpu: { calls: number; ours: { userUs: number; systemUs: number }; defaults: { userUs: number; systemUs: number } };
  scaling: ScalingRow[];
  kustomize: KustomizeRow[];
  stdinPassThrough: StdinPassRow[];
  kptPassThrough: KptPass | undefined;
  throttling: Array<{ scenario: string; dataKeys: number; wallMs: number; calls: number; throttled: number; maxInFlight: number }>;
  compileCache: CompileCacheRow[];
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
const cpu = (t: Timed) => (t.cpuMs === undefined ? '—' : ms(t.cpuMs));
const rss = (t: Timed) => (t.rssMiB === undefined ? '—' : `${Math.round(t.rssMiB)} MiB`);
const times = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)}×`;
const verdict = (ok: boolean) => (ok ? 'yes' : '**no**');
const total = (c: { userUs: number; systemUs: number }) => c.userUs + c.systemUs;
const us = (c: { userUs: number; systemUs: number }) => `${Math.round(c.userUs)} + ${Math.round(c.systemUs)} µs`;

export function table(r: Report): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Command: \`${r.command}\` on ${r.date.slice(0, 10)}. Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}` +
      `${m.kubectl ? `, kustomize ${m.kubectl} (kubectl)` : ''}${m.kpt ? `, kpt ${m.kpt}` : ''}. ` +
      `KMS round trip ${r.latencyMs} ms, concurrency ${r.concurrency}, medians of ${r.runs} runs (3 at 1000, 1 for 1000 single-file processes). ` +
      `Every process runs with the same environment${r.environment.leftOut.length ? ` (${r.environment.leftOut.join(', ')} left out for all)` : ''}; ` +
      `CPU is user + system time of the process and its children.`,
    '',
  );

  const s = r.startup;
  out.push(
    `**Start-up** (empty ResourceList, 21 runs each, in turn): kmsecret-fn ${ms(s.fn.wallMs)} (CPU ${cpu(s.fn)}, ${rss(s.fn)}), ` +
      `\`node -e 0\` ${ms(s.node.wallMs)} (CPU ${cpu(s.node)}): **+${Math.round(s.overheadMs)} ms** (goal ≤ +${s.goalMs} ms: ${verdict(s.overheadMs <= s.goalMs)}).`,
  );
  const k = r.perDataKey;
  out.push(
    '',
    `**Per data key** (KMS answering at once): a render of 1 KmsSecret ${ms(k.oneKey.wallMs)} (CPU ${cpu(k.oneKey)}: start-up with the AWS SDK loaded), ` +
      `of ${k.dataKeys} ${ms(k.all.wallMs)} (CPU ${cpu(k.all)}, ${rss(k.all)})` +
      `${k.cpuMs === undefined ? '' : `: **${(k.cpuMs * 1000).toFixed(0)} µs of CPU per further data key**, everything included (the KMS call, 10 values opened, the Secret written)`}.`,
    '',
    `**CPU per KMS Decrypt** (${r.sdkCpu.calls} calls, 16 in flight, after 100 to warm up), user + system: ` +
      `kmsecret's calls (its own JSON request, signed by the SDK's SigV4 signer with the SDK's credentials) ${us(r.sdkCpu.ours)}, ` +
      `a KMSClient with the SDK's defaults (as 0.1.0 made its calls) ${us(r.sdkCpu.defaults)}. ` +
      `User CPU ${times(r.sdkCpu.defaults.userUs / r.sdkCpu.ours.userUs)} less, all CPU ${times(total(r.sdkCpu.defaults) / total(r.sdkCpu.ours))} less ` +
      `(goal: halved: ${verdict(total(r.sdkCpu.ours) <= total(r.sdkCpu.defaults) / 2)}).`,
  );

  out.push(
    '',
    '**On stdin** (a process per render, as kpt runs it). Floor = the render of 1 KmsSecret + ceil(calls / concurrency) × round trip + CPU per further data key × (calls − 1).',
    '',
    '| case | size | values | KMS calls | wall | CPU | peak RSS | floor | ≤ 1.5× floor | per-value (shush) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  );
  for (const row of r.scaling) {
    const pv =
      row.perValueMs === undefined ? '—' : `${ms(row.perValueMs)}${row.perValueEstimated ? ' (est.)' : ''} (${times(row.perValueMs / row.wallMs)} slower)`;
    out.push(
      `| ${row.case} | ${row.size} | ${row.values} | ${row.kmsCalls} | ${ms(row.wallMs)} | ${cpu(row)} | ${rss(row)} | ${ms(row.floorMs)} | ${verdict(row.wallMs <= 1.5 * row.floorMs)} (${times(row.wallMs / row.floorMs)}) | ${pv} |`,
    );
  }

  if (r.kustomize.length) {
    out.push(
      '',
      '**kubectl kustomize --enable-alpha-plugins** (legacy exec plugins, as `kmsecret install-plugin` links them), Secrets of 10 keys:',
      '',
      '| form | Secrets | plugin processes | KMS calls | wall | CPU | against plain kustomize |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const k of r.kustomize) {
      const processes = k.form === 'plain' ? 0 : k.form === 'single-file' ? k.secrets : 1;
      const label = k.form === 'plain' ? 'plain Secrets (no kmsecret)' : k.form === 'single-file' ? 'KmsSecret files as generators' : k.form;
      out.push(
        `| ${label} | ${k.secrets} | ${processes} | ${k.kmsCalls} | ${ms(k.wallMs)} | ${cpu(k)} | ${k.vsPlain === undefined ? '—' : times(k.vsPlain)} |`,
      );
    }
    const g = r.kustomize.find((k) => k.form === 'KmsSecretGenerator' && k.secrets === 100);
    if (g?.vsPlain !== undefined)
      out.push('', `Goal: 100 KmsSecrets through KmsSecretGenerator at most 4× plain kustomize: ${times(g.vsPlain)}, ${verdict(g.vsPlain <= 4)}.`);
  }

  if (r.stdinPassThrough.length) {
    out.push(
      '',
      '**Pass-through on stdin**, against `cat` with the same stdin:',
      '',
      '| input | MiB | items | kmsecret-fn | CPU | peak RSS | cat | ratio |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const p of r.stdinPassThrough) {
      out.push(
        `| ${p.case} | ${p.inputMiB.toFixed(1)} | ${p.items} | ${ms(p.fn.wallMs)} | ${cpu(p.fn)} | ${rss(p.fn)} | ${ms(p.cat.wallMs)} | ${times(p.ratio)} |`,
      );
    }
  }
  if (r.kptPassThrough) {
    const p = r.kptPassThrough;
    out.push(
      '',
      `**kpt fn eval --exec** on ${p.resources} resources without tokens (${p.inputMiB.toFixed(1)} MiB): with a function that only copies stdin ${ms(p.kptCopy.wallMs)}, with kmsecret-fn ${ms(p.kptKmsecret.wallMs)} (${times(p.ratio)}).`,
    );
  }
  for (const t of r.throttling) {
    out.push(
      '',
      `**Throttling** (${t.scenario}): ${t.dataKeys} data keys in ${ms(t.wallMs)}, ${t.calls} KMS calls of which ${t.throttled} throttled, at most ${t.maxInFlight} in flight.`,
    );
  }
  for (const c of r.compileCache) {
    out.push(
      '',
      `**NODE_COMPILE_CACHE** (${c.node}, ${c.input}): without ${ms(c.without.wallMs)} (CPU ${cpu(c.without)}), with ${ms(c.with.wallMs)} (CPU ${cpu(c.with)}).`,
    );
  }
  return `${out.join('\n')}\n`;
}
