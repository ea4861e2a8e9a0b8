import { mkdirSync, rmSync, symlinkSync, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, one } from './args.js';
import type { Command } from './command.js';
import { usageError } from '../errors.js';

/** kustomize looks legacy exec plugins up as PLUGIN_HOME/GROUP/VERSION/lowercased-kind/Kind. */
export const pluginPaths = ['kmsecret.dev/v1alpha1/kmssecret/KmsSecret', 'kmsecret.dev/v1alpha1/kmssecrettransformer/KmsSecretTransformer'];

export function defaultPluginHome(env: NodeJS.ProcessEnv): string {
  return env.KUSTOMIZE_PLUGIN_HOME || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'kustomize', 'plugin');
}

export const installPlugin: Command = {
  name: 'install-plugin',
  summary: 'install kmsecret-fn as a kustomize exec plugin (for kubectl kustomize)',
  help: `Usage: kmsecret install-plugin [--dir PLUGIN_HOME]

Links kmsecret-fn into kustomize's legacy exec plugin layout, the only plugin
form \`kubectl kustomize --enable-alpha-plugins\` runs without Docker:

  PLUGIN_HOME/kmsecret.dev/v1alpha1/kmssecret/KmsSecret
  PLUGIN_HOME/kmsecret.dev/v1alpha1/kmssecrettransformer/KmsSecretTransformer

PLUGIN_HOME defaults to $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin
(~/.config/kustomize/plugin), where kustomize looks.

Flags:
      --dir DIR   the plugin home to install into
      --force     replace existing links

Example:
  kmsecret install-plugin && kubectl kustomize --enable-alpha-plugins overlays/prod`,
  flags: { dir: { type: 'string' }, force: { type: 'boolean' } },
  async run(args, io) {
    if (args.positional.length > 0) throw usageError('install-plugin takes no arguments');
    const home = resolve(io.cwd, one(args, 'dir') ?? defaultPluginHome(io.env));
    // kmsecret-fn sits next to this bundle in dist/.
    const fn = join(dirname(fileURLToPath(import.meta.url)), 'kmsecret-fn.mjs');
    for (const path of pluginPaths) {
      const link = join(home, path);
      mkdirSync(dirname(link), { recursive: true });
      let exists = false;
      try {
        lstatSync(link);
        exists = true;
      } catch {
        // not there yet
      }
      if (exists) {
        if (!flag(args, 'force')) throw usageError(`${link} exists`, 'pass --force to replace it');
        rmSync(link);
      }
      symlinkSync(fn, link);
      io.stdout(`${link} -> ${fn}\n`);
    }
  },
};
