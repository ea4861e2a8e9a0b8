#!/usr/bin/env node
// npm run kms-server: the project's KMS test server (test/kms-server) on this
// machine, holding the keys the AWS examples are encrypted under
// (test/helpers/example-keys.ts), so that the examples render by hand:
//
//   npm run kms-server                    # in one terminal; prints the environment to export
//   export AWS_ENDPOINT_URL_KMS=…         # in another: the lines it printed
//   kubectl kustomize --enable-alpha-plugins examples/aws-kms-kustomize/overlays/dev
//
// Flags: --port N (default 4599; 0 picks a free port). It listens on 127.0.0.1
// only and stops on Ctrl-C (SIGINT) or SIGTERM. The server and the key list are
// bundled from their TypeScript sources in memory (esbuild, a devDependency):
// nothing is written, and dist/ is not rebuilt.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

function parsePort(argv) {
  let port = 4599;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg.startsWith('--port=') ? arg.slice(7) : arg === '--port' ? argv[++i] : undefined;
    if (value === undefined) {
      process.stderr.write(`kms-server: unknown argument ${JSON.stringify(arg)}; it takes --port N\n`);
      process.exit(2);
    }
    port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write('kms-server: --port takes a port number (0 picks a free one)\n');
      process.exit(2);
    }
  }
  return port;
}

const port = parsePort(process.argv.slice(2));
const bundle = await build({
  stdin: {
    contents: `export { startKmsServer } from './test/kms-server/server.ts';
export { createExampleKeys, exampleKeys, exampleAccount, exampleRegion } from './test/helpers/example-keys.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const code = bundle.outputFiles[0].text;
const { startKmsServer, createExampleKeys, exampleKeys, exampleAccount, exampleRegion } = await import(
  `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
);

let server;
try {
  server = await startKmsServer({ port, region: exampleRegion, account: exampleAccount });
} catch (error) {
  process.stderr.write(
    `kms-server: cannot listen on 127.0.0.1:${port} (${error?.code ?? error?.message ?? error}); pass --port N, or --port 0 for a free one\n`,
  );
  process.exit(5);
}
createExampleKeys(server);

const stop = () => {
  server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// The exact environment for kmsecret and kmsecret-fn (kustomize passes its environment on).
process.stdout.write(
  [
    `# kmsecret's example KMS server on ${server.endpoint} (Ctrl-C stops it). Example keys, account ${exampleAccount}, ${exampleRegion}:`,
    `#   ${exampleKeys.map((k) => k.alias).join(', ')}`,
    '# In another shell, export these; then render an example, e.g.',
    '#   kmsecret install-plugin && kubectl kustomize --enable-alpha-plugins examples/aws-kms-kustomize/overlays/dev',
    `export AWS_ENDPOINT_URL_KMS=${server.endpoint}`,
    `export AWS_REGION=${exampleRegion}`,
    'export AWS_ACCESS_KEY_ID=AKIDKMSECRETEXAMPLE',
    'export AWS_SECRET_ACCESS_KEY=example-not-a-secret',
    '',
  ].join('\n'),
);
