/**
 * Lets a script run with ts-node resolve the `@cards/...` path aliases of tsconfig.json, as jest and tsc do.
 * Import it first.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';

const root = path.join(__dirname, '..');
const paths = (JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } })
  .compilerOptions.paths;

type Resolve = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (request: string, ...rest: unknown[]): string {
  const match = /^(@cards\/[\w-]+)(\/.*)?$/.exec(request);
  const target = match ? paths[match[1]]?.[0] : undefined;
  return resolve.call(this, target ? path.join(root, target, match![2] ?? '') : request, ...rest);
};
