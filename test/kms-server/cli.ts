/**
 * Standalone runner for the test KMS server, for benchmarks and manual runs
 * (bundled by the project's build; no TypeScript loader is needed at run time).
 *
 *   kms-server [--port N] [--region R] [--account A] [--latency-ms N]
 *              [--latency-jitter-ms N] [--throttle-rate R] [--throttle-first N]
 *              [--throttle-above-in-flight N] [--error-5xx-rate R] [--drop-rate R]
 *              [--seed N] [--create-key [alias/name]]...
 *
 * Prints one JSON line {"endpoint": ..., "keys": {name: arn}} on stdout once
 * listening (a key created without an alias is listed under its key id), then
 * serves until SIGTERM or SIGINT. GET /_stats on the endpoint returns counts.
 */
import { pathToFileURL } from 'node:url';
import { startKmsServer, type Faults, type KmsTestServer, type StartOptions } from './server.js';

export interface CliOptions {
  start: StartOptions & { faults: Faults };
  /** Alias per key to create; undefined for a key without an alias. */
  keys: Array<string | undefined>;
}

type NumericFault = Exclude<keyof Faults, 'failOps' | 'plaintextFirst'>;

const FAULT_FLAGS: Readonly<Record<string, NumericFault>> = {
  '--latency-ms': 'latencyMs',
  '--latency-jitter-ms': 'latencyJitterMs',
  '--throttle-rate': 'throttleRate',
  '--throttle-first': 'throttleFirst',
  '--throttle-above-in-flight': 'throttleAboveInFlight',
  '--error-5xx-rate': 'error5xxRate',
  '--error-5xx-first': 'error5xxFirst',
  '--drop-rate': 'dropRate',
  '--drop-first': 'dropFirst',
  '--hang-ms': 'hangMs',
  '--seed': 'seed',
};

function numberArg(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n)) {
    throw new Error(`${flag} needs a number, got ${value ?? 'nothing'}`);
  }
  return n;
}

function stringArg(flag: string, value: string | undefined): string {
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
  return value;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { start: { faults: {} }, keys: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const next = argv[i + 1];
    const fault = FAULT_FLAGS[flag];
    if (fault !== undefined) {
      options.start.faults[fault] = numberArg(flag, next);
      i++;
    } else if (flag === '--port') {
      options.start.port = numberArg(flag, next);
      i++;
    } else if (flag === '--region' || flag === '--account') {
      options.start[flag === '--region' ? 'region' : 'account'] = stringArg(flag, next);
      i++;
    } else if (flag === '--create-key') {
      // The alias is optional: take the next word only if it is not a flag.
      const alias = next !== undefined && !next.startsWith('--') ? next : undefined;
      options.keys.push(alias);
      if (alias !== undefined) i++;
    } else {
      throw new Error(`unknown argument ${flag}`);
    }
  }
  return options;
}

export interface RunningCli {
  server: KmsTestServer;
  /** Remove the signal handlers and close the server. */
  stop(): Promise<void>;
}

/**
 * Start the server described by argv and print the ready line. SIGTERM and
 * SIGINT stop it; `stop()` does the same for callers that run it in-process.
 */
export async function main(argv: readonly string[], print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<RunningCli> {
  const options = parseArgs(argv);
  const server = await startKmsServer(options.start);
  const keys: Record<string, string> = {};
  for (const alias of options.keys) {
    const arn = server.createKey(alias === undefined ? {} : { alias });
    keys[alias ?? arn.slice(arn.lastIndexOf('/') + 1)] = arn;
  }
  const stop = (): Promise<void> => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return server.close();
  };
  const onSignal = (): void => void stop();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  print(JSON.stringify({ endpoint: server.endpoint, keys }));
  return { server, stop };
}

// Run when executed directly (e.g. `node dist/kms-server.mjs`), not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`kms-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
