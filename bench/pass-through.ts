// What kmsecret-fn costs on resources it does not change.
//
//   16 MiB on stdin, against `cat` with the same stdin:
//     nothing of ours       the quick path (no marker in any byte): copied through
//     one KmsSecret         the full path: every item framed and looked at, one decrypted
//     an escape in every item  each item holds an escape, which could spell a token: decoded, not parsed
//   kpt: 10,000 resources without tokens, kpt fn eval --exec with kmsecret-fn against a
//     function that only copies stdin
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyProvider } from '../functions/providers/provider.js';
import type { KmsTestServer } from '../test/kms-server/server.js';
import { fnPath, log, type Options } from './context.js';
import { kmsSecrets, plainResources, resourceList } from './generate.js';
import { interleave, measure, type Timed } from './measure.js';

export interface StdinPassRow {
  case: string;
  inputMiB: number;
  items: number;
  fn: Timed;
  cat: Timed;
  /** kmsecret-fn's wall time over cat's. */
  ratio: number;
}

export interface KptPass {
  resources: number;
  inputMiB: number;
  kptCopy: Timed;
  kptKmsecret: Timed;
  ratio: number;
}

const target = 16 * 2 ** 20;

/** Plain resources repeated up to 16 MiB, each changed by `edit`. */
function sixteenMiB(edit: (text: string, i: number) => string): string[] {
  const items: string[] = [];
  let bytes = 0;
  const base = plainResources(1000);
  for (let i = 0; bytes < target; i++) {
    const text = edit((base[i % base.length] as string).replace(/-(\d+)\n/, `-${i}\n`), i);
    items.push(text);
    bytes += text.length;
  }
  return items;
}

export async function stdinPassThrough(
  server: KmsTestServer,
  provider: KeyProvider,
  keyId: string,
  env: NodeJS.ProcessEnv,
  o: Options,
): Promise<StdinPassRow[]> {
  server.faults = {};
  const [one] = (await kmsSecrets(provider, keyId, 1)).items;
  const cases: Array<[string, string[]]> = [
    ['nothing of ours', sixteenMiB((t) => t)],
    ['one KmsSecret among them', [...sixteenMiB((t) => t), one as string]],
    ['an escape in every item (decoded, not parsed)', sixteenMiB((t) => t.replace('metadata:\n', 'metadata:\n  annotations:\n    note: "caf\\u00e9"\n'))],
  ];
  const rows: StdinPassRow[] = [];
  for (const [label, items] of cases) {
    const stdin = resourceList(items);
    log(`stdin pass-through: ${label}, ${(stdin.length / 2 ** 20).toFixed(1)} MiB`);
    const [fn, cat] = (await interleave(
      o.runs,
      () => measure(process.execPath, [fnPath], { stdin, env }),
      () => measure('cat', [], { stdin, env }),
    )) as [Timed, Timed];
    rows.push({ case: label, inputMiB: Buffer.byteLength(stdin) / 2 ** 20, items: items.length, fn, cat, ratio: fn.wallMs / cat.wallMs });
  }
  return rows;
}

export async function kptPassThrough(env: NodeJS.ProcessEnv, o: Options): Promise<KptPass | undefined> {
  if (spawnSync('kpt', ['version'], { stdio: 'ignore' }).status !== 0) {
    log('kpt not found: kpt pass-through skipped');
    return undefined;
  }
  log('kpt pass-through: 10,000 resources without tokens, kpt fn eval --exec');
  const dir = mkdtempSync(join(tmpdir(), 'kmsecret-bench-kpt-'));
  const pkg = join(dir, 'pkg');
  try {
    mkdirSync(pkg);
    plainResources(10_000).forEach((text, i) => writeFileSync(join(pkg, `r-${i}.yaml`), text));
    const copy = join(dir, 'copy-stdin.sh');
    writeFileSync(copy, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const runs = Math.min(o.runs, 3);
    const [kptCopy, kptKmsecret] = (await interleave(
      runs,
      () => measure('kpt', ['fn', 'eval', pkg, '--exec', copy, '-o', 'stdout'], { env }),
      () => measure('kpt', ['fn', 'eval', pkg, '--exec', fnPath, '-o', 'stdout'], { env }),
    )) as [Timed, Timed];
    const source = spawnSync('kpt', ['fn', 'source', pkg], { encoding: 'utf8', maxBuffer: 1 << 30, env }).stdout;
    return { resources: 10_000, inputMiB: Buffer.byteLength(source) / 2 ** 20, kptCopy, kptKmsecret, ratio: kptKmsecret.wallMs / kptCopy.wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
