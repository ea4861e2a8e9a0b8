// The README's command snippets, for the tests that run them or compare them with
// the files they were copied from (examples/): what the README shows is what was tested.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './run.js';

const readme = () => readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The text of the section `## title`, up to the next `## ` heading. */
export function readmeSection(title: string): string {
  const text = readme();
  const start = text.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The one fenced code block of that section that holds `containing` (its body, without the fences). */
export function readmeBlock(section: string, containing: string): string {
  const blocks = [...readmeSection(section).matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  const found = blocks.filter((b) => b.includes(containing));
  if (found.length !== 1) throw new Error(`README.md "## ${section}": ${found.length} code blocks hold ${JSON.stringify(containing)}, not one`);
  return found[0] as string;
}
