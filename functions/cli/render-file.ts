// Rendering a file from the CLI (decrypt, check --decrypt): the same plan →
// decrypt → apply → guard as kmsecret-fn, over the documents of one file.
// The file's annotations are whatever its author wrote, so kustomize's
// bookkeeping in them is not trusted (orchestrator "file").
import { ItemList, readStream, type SourceItem } from '../krm/resource-list.js';
import { readConfig } from '../model/config.js';
import { render, type RenderOutcome } from '../render/render.js';
import type { Context } from './command.js';
import { readText } from './files.js';

export function fileItems(file: string, ctx: Context): SourceItem[] {
  return readStream(readText(file, ctx.cwd), file);
}

export function renderItems(items: readonly SourceItem[], ctx: Context): Promise<RenderOutcome> {
  const { allowedNamespaces } = ctx.settings;
  return render(
    ItemList.of(items),
    readConfig(undefined, ctx.settings),
    allowedNamespaces ? { orchestrator: 'file', allowedNamespaces } : { orchestrator: 'file' },
    ctx.keys,
  );
}
