// Imports run one way (docs/ARCHITECTURE.md): from the entry points down to
// token/, providers/, crypto/ and the bottom files. `npm test` runs this and
// fails on any cycle between files, and on any import of a folder above.
const layers = [
  ['entry', '^functions/(fn|fn-run|cli)\\.ts$|^functions/cli/'],
  ['check', '^functions/check/'],
  ['render', '^functions/render/'],
  ['model', '^functions/model/'],
  ['k8s', '^functions/k8s/'],
  ['krm', '^functions/krm/'],
  ['keys', '^functions/keys/'],
  ['token', '^functions/token/'],
  ['providers', '^functions/providers/'],
  ['crypto', '^functions/crypto/'],
  ['base', '^functions/(settings|errors|version)\\.ts$'],
];

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'two files that need each other are one concept, or a missing one', from: {}, to: { circular: true } },
    ...layers.slice(1).map(([name, path], i) => ({
      name: `${name}-imports-down-only`,
      severity: 'error',
      comment: `${name} may not import a folder above it (docs/ARCHITECTURE.md)`,
      from: { path },
      to: {
        path: layers
          .slice(0, i + 1)
          .map(([, p]) => `(${p})`)
          .join('|'),
      },
    })),
    { name: 'no-tests-in-functions', severity: 'error', from: { path: '^functions/' }, to: { path: '^(test|bench|scripts)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|build)/' },
  },
};
