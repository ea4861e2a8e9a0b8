// AWS KMS for tests: the project's KMS protocol server (fault injection, call
// counts) and moto's, both on 127.0.0.1 and both spoken to by the real SDK.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { startKmsServer, type KmsTestServer } from '../kms-server/server.js';
import { cleanEnv } from './run.js';

/** What a child process needs to talk to a test KMS endpoint. */
export function awsEnv(endpoint: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    AWS_ENDPOINT_URL_KMS: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDKMSECRETTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    KMSECRET_RETRY_BASE_MS: '5',
    ...extra,
  });
}

/** The project's test KMS server for the tests of one file. */
export function useKmsServer(): { server: () => KmsTestServer } {
  let server: KmsTestServer | undefined;
  beforeAll(async () => {
    server = await startKmsServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    server: () => {
      if (!server) throw new Error('KMS test server not started');
      return server;
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface Moto {
  endpoint: string;
  process: ChildProcess;
}

/** moto_server on a free port, up once it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('moto_server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint, process: child };
}
