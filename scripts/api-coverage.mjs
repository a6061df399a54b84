/**
 * Writes docs/api-coverage.md: every path and method of the Engine API description and what Berth does
 * with it (src/server/routes/coverage.ts), from Berth's compiled route table.
 *
 *   npm run build && node scripts/api-coverage.mjs [SPEC] [--check]
 *
 * SPEC defaults to ../shared/spec/docker-engine-api-v1.47.yaml beside the repository (the workplace's
 * copy, /work/shared/spec). --check writes nothing and exits 1 when the file is out of date.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const specArg = args.find((a) => !a.startsWith('--'));
const spec = specArg ?? ['../shared/spec/docker-engine-api-v1.47.yaml', '/work/shared/spec/docker-engine-api-v1.47.yaml']
  .map((p) => path.resolve(root, p)).find((p) => existsSync(p));
if (!spec) {
  console.error('the Engine API description (docker-engine-api-v1.47.yaml) was not found: give its path');
  process.exit(2);
}
const { routeTable } = await import(path.join(root, 'dist/src/server/routes/table.js'));
const { specOperations, coverageMarkdown } = await import(path.join(root, 'dist/src/server/routes/coverage.js'));
const text = coverageMarkdown(specOperations(readFileSync(spec, 'utf8')), routeTable(), path.basename(spec));
const out = path.join(root, 'docs/api-coverage.md');
if (check) {
  const cur = existsSync(out) ? readFileSync(out, 'utf8') : '';
  if (cur !== text) {
    console.error('docs/api-coverage.md is out of date: run node scripts/api-coverage.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
