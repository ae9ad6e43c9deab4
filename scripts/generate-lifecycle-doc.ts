/**
 * Writes docs/lifecycle.md from the lifecycle table (npm run docs:lifecycle).
 * With --check it writes nothing and fails when the file is out of date, for CI.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// Relative, not @cards/domain: ts-node runs this without a path-alias resolver.
import { renderLifecycleMarkdown } from '../libs/card-domain/src/card/lifecycle-doc';

const target = path.join(__dirname, '..', 'docs', 'lifecycle.md');
const markdown = renderLifecycleMarkdown();
const shown = path.relative(process.cwd(), target);

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: reported below as out of date
  }
  if (current !== markdown) {
    console.error(`${shown} is out of date: run npm run docs:lifecycle`);
    process.exit(1);
  }
  console.log(`${shown} is up to date`);
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, markdown, 'utf8');
  console.log(`wrote ${shown}`);
}
