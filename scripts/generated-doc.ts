import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes a generated document under docs/, or with --check writes nothing and fails when the file differs
 * from what the code generates (the specs next to the generators check the same in `npm test`).
 */
export function writeGeneratedDoc(fileName: string, markdown: string, npmScript: string): void {
  const target = path.join(__dirname, '..', 'docs', fileName);
  const shown = path.relative(process.cwd(), target);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing: reported below as out of date
    }
    if (current !== markdown) {
      console.error(`${shown} is out of date: run npm run ${npmScript}`);
      process.exit(1);
    }
    console.log(`${shown} is up to date`);
    return;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, markdown, 'utf8');
  console.log(`wrote ${shown}`);
}
