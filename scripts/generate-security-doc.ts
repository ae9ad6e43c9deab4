/**
 * Writes docs/security.md from the permission table (npm run docs:security).
 * With --check it writes nothing and fails when the file is out of date, for CI.
 */
import './register-path-aliases';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// Relative, not @cards/platform: the library's index would load the whole of Nest for one function.
import { renderSecurityMarkdown } from '../libs/platform/src/auth/security-doc';

const target = path.join(__dirname, '..', 'docs', 'security.md');
const markdown = renderSecurityMarkdown();
const shown = path.relative(process.cwd(), target);

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: reported below as out of date
  }
  if (current !== markdown) {
    console.error(`${shown} is out of date: run npm run docs:security`);
    process.exit(1);
  }
  console.log(`${shown} is up to date`);
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, markdown, 'utf8');
  console.log(`wrote ${shown}`);
}
