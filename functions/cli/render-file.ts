// Rendering a file from the CLI (decrypt, check --decrypt): the same plan →
// decrypt → apply → guard as kmsecret-fn, over the documents of one file.
import type { SourceItem } from '../krm/resource-list.js';
import { readStream } from '../krm/resource-list.js';
import { readConfig, type RenderConfig } from '../model/config.js';
import { providerSet } from '../providers/registry.js';
import { render, type RenderOutcome } from '../render/render.js';
import { retryPolicy } from '../render/retry.js';
import type { Io } from './command.js';
import { readText } from './files.js';

export function fileItems(file: string, io: Io): SourceItem[] {
  return readStream(readText(file, io.cwd), file);
}

/** The config a CLI render uses: the defaults and the environment (placeholder mode, concurrency, timeout). */
export function cliConfig(io: Io): RenderConfig {
  return readConfig(undefined, io.env);
}

export function renderItems(items: readonly SourceItem[], io: Io, config: RenderConfig = cliConfig(io)): Promise<RenderOutcome> {
  return render(items, config, { providers: providerSet(io.env), retry: retryPolicy(io.env) });
}
