// Bundles the two executables into dist/: what the npm package and the
// Dockerfile ship. `--test-support` also bundles the test KMS server into
// build/, for the benchmark, which runs it as a process of its own.
// Code splitting keeps each provider in its own chunk, loaded only when a
// token needs it: a render without AWS tokens never loads the AWS SDK.
import { chmod, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
  banner: {
    // CommonJS dependencies (ajv) call require(); give the ESM bundle one.
    js: "#!/usr/bin/env node\nimport { createRequire as __kmsecretCreateRequire } from 'node:module';\nconst require = __kmsecretCreateRequire(import.meta.url);",
  },
};

await rm('dist', { recursive: true, force: true });
await build({
  ...shared,
  entryPoints: { 'kmsecret-fn': 'functions/fn.ts', kmsecret: 'functions/cli.ts' },
  outdir: 'dist',
});
await chmod('dist/kmsecret-fn.mjs', 0o755);
await chmod('dist/kmsecret.mjs', 0o755);

if (process.argv.includes('--test-support')) {
  await rm('build', { recursive: true, force: true });
  await build({
  ...shared,
    entryPoints: { 'kms-server': 'test/kms-server/cli.ts' },
    outdir: 'build',
  });
}
