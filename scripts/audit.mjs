// npm audit, for what the package ships. The published package has no
// runtime dependencies (everything is bundled into dist/), so `npm audit
// --omit=dev` would check nothing; this checks the packages the bundle holds
// (build/bundled-packages.json, written by the build) instead.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const bundled = new Set(JSON.parse(readFileSync('build/bundled-packages.json', 'utf8')));
const audit = spawnSync('npm', ['audit', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
let report;
try {
  report = JSON.parse(audit.stdout);
} catch {
  report = undefined;
}
if (!report || report.error || !report.vulnerabilities) {
  const why = report?.error?.summary || report?.message || (audit.stderr || '').trim().split('\n')[0] || 'no answer';
  process.stdout.write(`npm audit: NOT CHECKED — the registry's audit endpoint did not answer (${why})\n`);
  process.exit(0);
}
const shipped = Object.values(report.vulnerabilities).filter((v) => bundled.has(v.name));
if (shipped.length > 0) {
  for (const v of shipped)
    process.stdout.write(`npm audit: ${v.name} (${v.severity}) ships in dist/: ${v.via.map((x) => (typeof x === 'string' ? x : x.title)).join('; ')}\n`);
  process.exit(1);
}
process.stdout.write(`npm audit: clean for the ${bundled.size} packages dist/ ships\n`);
