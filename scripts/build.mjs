// Bundles the two executables into dist/: what the npm package and the
// Dockerfile ship. `--test-support` also bundles the test KMS server into
// build/, for the benchmark, which runs it as a process of its own.
// Code splitting keeps each provider in its own chunk, loaded only when a
// token needs it: a render without AWS tokens never loads the AWS SDK.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

// functions/model/validators.ts compiles the schemas at run time; the bundle gets
// ajv's standalone code for the same schemas and options instead.
const precompiledValidators = {
  name: 'precompiled-validators',
  setup(b) {
    b.onLoad({ filter: /functions[\\/]model[\\/]validators\.ts$/ }, async () => {
      const schema = async (file) => JSON.parse(await readFile(new URL(`../schemas/${file}`, import.meta.url), 'utf8'));
      const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: true, code: { source: true, esm: true } });
      ajv.addSchema(await schema('kmssecret.schema.json'), 'KmsSecret');
      ajv.addSchema(await schema('kmssecrettransformer.schema.json'), 'KmsSecretTransformer');
      ajv.addSchema(await schema('kmssecretgenerator.schema.json'), 'KmsSecretGenerator');
      const code = standaloneCode(ajv, { KmsSecret: 'KmsSecret', KmsSecretTransformer: 'KmsSecretTransformer', KmsSecretGenerator: 'KmsSecretGenerator' });
      return {
        contents: `${code}\nconst all = { KmsSecret, KmsSecretTransformer, KmsSecretGenerator };\nexport function validator(name) { return all[name]; }\n`,
        loader: 'js',
        resolveDir: new URL('../functions/model/', import.meta.url).pathname,
      };
    });
  },
};

// The yaml package's ES module build (its "default" export condition) instead of the CommonJS
// build that the "node" condition picks: the same code, but it tree-shakes and loads without
// CommonJS wrappers (3-4 ms less at every start that reads YAML).
const yamlModuleBuild = {
  name: 'yaml-module-build',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: fileURLToPath(new URL('../node_modules/yaml/browser/index.js', import.meta.url)) }));
  },
};

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  // Prefer packages' ES module builds: they tree-shake (the AWS SDK's CommonJS build
  // brings every KMS command and costs startup time).
  mainFields: ['module', 'main'],
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [precompiledValidators, yamlModuleBuild],
  banner: {
    // CommonJS dependencies (ajv) call require(); give the ESM bundle one.
    js: "#!/usr/bin/env node\nimport { createRequire as __kmsecretCreateRequire } from 'node:module';\nconst require = __kmsecretCreateRequire(import.meta.url);",
  },
};

await rm('dist', { recursive: true, force: true });
const shipped = await build({
  ...shared,
  entryPoints: { 'kmsecret-fn': 'functions/fn.ts', kmsecret: 'functions/cli.ts' },
  outdir: 'dist',
  metafile: true,
});
// What the package ships, package by package: scripts/audit.mjs checks these.
const bundled = new Set();
for (const input of Object.keys(shipped.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) bundled.add(m[1]);
}
await mkdir('build', { recursive: true });
await writeFile('build/bundled-packages.json', `${JSON.stringify([...bundled].sort(), null, 2)}\n`);
await chmod('dist/kmsecret-fn.mjs', 0o755);
await chmod('dist/kmsecret.mjs', 0o755);

if (process.argv.includes('--test-support')) {
  await build({
    ...shared,
    entryPoints: { 'kms-server': 'test/kms-server/cli.ts', bench: 'bench/run.ts', 'per-value': 'bench/per-value.ts', 'sdk-cpu': 'bench/sdk-cpu.ts' },
    outdir: 'build',
  });
}
