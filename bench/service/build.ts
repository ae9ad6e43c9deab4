import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../core/context';

/**
 * A private build of the sources as they are now (apps, libs and bench): plain JavaScript as `nest build` makes
 * it (same tsconfig.build.json, `@cards/...` aliases resolved at run time by tsconfig-paths, the notification
 * templates copied beside their library), without touching the shared `dist` and without type checking
 * (tsc --noCheck; `npm run typecheck` does that). The service then runs as in production, `node main.js`: no
 * ts-node, no TypeScript compiler in its memory.
 *
 * Builds are cached under node_modules/.cache/card-bench, keyed by a hash of every source file, the templates,
 * the tsconfig files and the TypeScript version: a run on unchanged sources reuses the last build (the three
 * newest are kept).
 */
export interface Build {
  readonly dir: string;
  /** Whether this run compiled it (false: the cache had it). */
  readonly compiled: boolean;
  /** `node` arguments that go before a script of the build. */
  readonly nodeArgs: readonly string[];
  /** Environment a process of the build needs (module resolution). */
  readonly env: Readonly<Record<string, string>>;
}

export const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'card-bench');

/** The JavaScript file of a source of the build (`apps/card-api/src/main.ts` → `<build>/apps/card-api/src/main.js`). */
export function scriptOf(build: Pick<Build, 'dir'>, relativeToRoot: string): string {
  return path.join(build.dir, relativeToRoot.replace(/\.ts$/, '.js'));
}

export function buildFrom(dir: string, compiled: boolean): Build {
  return {
    dir,
    compiled,
    nodeArgs: ['-r', require.resolve('tsconfig-paths/register')],
    env: { NODE_PATH: path.join(ROOT, 'node_modules'), TS_NODE_PROJECT: path.join(dir, 'tsconfig.json'), TS_NODE_BASEURL: dir },
  };
}

const isExcluded = (file: string) => /\.(spec|int-spec|e2e-spec)\.ts$/.test(file) || /[/\\](test|testing)[/\\]/.test(file);

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

function sourcesHash(): string {
  const hash = createHash('sha256');
  const typescript = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version;
  hash.update(`typescript ${typescript}\n`);
  const files = [
    ...['apps', 'libs', 'bench'].flatMap((d) => sourceFiles(path.join(ROOT, d)).filter((f) => f.endsWith('.ts') && !isExcluded(f))),
    ...sourceFiles(path.join(ROOT, 'libs', 'notifications', 'templates')),
    path.join(ROOT, 'tsconfig.json'),
    path.join(ROOT, 'tsconfig.build.json'),
  ];
  for (const file of files) hash.update(`${path.relative(ROOT, file)}\n`).update(fs.readFileSync(file)).update('\n');
  return hash.digest('hex').slice(0, 16);
}

/** The build of the current sources: from the cache, or compiled now (some 10–20 s on this machine). */
export async function ensureBuild(progress: (line: string) => void): Promise<Build> {
  const key = sourcesHash();
  const dir = path.join(CACHE_DIR, `build-${key}`);
  if (fs.existsSync(path.join(dir, 'tsconfig.json'))) return buildFrom(dir, false);
  progress(`building the sources into ${path.relative(ROOT, dir)} (tsc --noCheck; the shared dist is left alone)`);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const partial = fs.mkdtempSync(path.join(CACHE_DIR, 'partial-'));
  try {
    const outDir = path.join(partial, 'build');
    const tsconfig = path.join(partial, 'tsconfig.bench-build.json');
    fs.writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: path.join(ROOT, 'tsconfig.build.json'),
        compilerOptions: { rootDir: ROOT, outDir, noCheck: true, sourceMap: false, incremental: false, typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
        include: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts'].map((glob) => path.join(ROOT, glob)),
        exclude: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**', '**/testing/**'].map((glob) => path.join(ROOT, glob)),
      }),
    );
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { cwd: ROOT, maxBuffer: 16 * 2 ** 20 }).catch(
      (error: Error & { stdout?: string }) => {
        throw new Error(`tsc failed: ${error.message}\n${error.stdout ?? ''}`);
      },
    );
    fs.cpSync(path.join(ROOT, 'libs', 'notifications', 'templates'), path.join(outDir, 'libs', 'notifications', 'templates'), { recursive: true });
    // The aliases of tsconfig.json, pointing into the build (tsconfig-paths reads TS_NODE_PROJECT).
    const paths = (JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
    fs.writeFileSync(path.join(outDir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: '.', paths } }));
    // Keep the two newest older builds (a run still going may be using one), remove the rest.
    const older = fs
      .readdirSync(CACHE_DIR)
      .filter((name) => name.startsWith('build-'))
      .map((name) => ({ name, at: fs.statSync(path.join(CACHE_DIR, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of older.slice(2)) fs.rmSync(path.join(CACHE_DIR, old.name), { recursive: true, force: true });
    try {
      fs.renameSync(outDir, dir);
    } catch (error) {
      // Another run finished the same build first: use it.
      if (!fs.existsSync(path.join(dir, 'tsconfig.json'))) throw error;
    }
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return buildFrom(dir, true);
}
