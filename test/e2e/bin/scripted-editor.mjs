#!/usr/bin/env node
// A scripted $EDITOR for the edit tests. EDITOR_SCRIPT names a JSON file:
// {"log": "path", "steps": [{"replace": [["from","to"], …], "write": "text", "exit": 0, "waitFor": "path"}, …]}
// Each run of the editor takes the next step; the log records the file path,
// its mode and its text as the editor saw it.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const script = JSON.parse(readFileSync(process.env.EDITOR_SCRIPT, 'utf8'));
const counter = `${process.env.EDITOR_SCRIPT}.count`;
let n = 0;
try {
  n = Number(readFileSync(counter, 'utf8'));
} catch {
  // the first run: no counter yet
}
writeFileSync(counter, String(n + 1));
const step = script.steps[n] ?? script.steps[script.steps.length - 1];
const text = readFileSync(file, 'utf8');
appendFileSync(script.log, `${JSON.stringify({ file, mode: statSync(file).mode & 0o777, text })}\n`);
// Stays open (as a person at the editor would) until the test says it may go.
while (step.waitFor && !existsSync(step.waitFor)) await new Promise((r) => setTimeout(r, 20));
let out = step.write ?? text;
for (const [from, to] of step.replace ?? []) out = out.replace(from, to);
writeFileSync(file, out);
process.exit(step.exit ?? 0);
