import { accessSync, constants, existsSync } from 'node:fs';
import * as path from 'node:path';
import type { AppConfig } from './app-config';

/**
 * A DATA_DIR that cannot be written when the service starts (a volume mounted read-only by mistake, wrong owner) is
 * refused at once, with one line naming it and the reason, and exit code 1: an orchestrator restarts the process, and
 * it starts as soon as the volume is writable. Starting anyway, not ready until the directory became writable, would
 * need a second start-up path that defers every start-up write (the stores' schemas and pragmas, projection versions
 * and rebuilds, indexes, the projections lease, the development keys) and reopens the stores later; this is a
 * deployment mistake that no retry inside the process repairs, so it is not worth that code. A file system that turns
 * read-only while the service runs is another matter: the stores keep their connections, commands answer 503 and
 * readiness is red until it is writable again (docs/reliability.md, "Faults in what it depends on").
 */

const REASONS: Readonly<Record<string, string>> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** The files under DATA_DIR the embedded stores of this configuration write (nothing for EventStoreDB and MongoDB). */
function embeddedStoreFiles(config: AppConfig): string[] {
  return [
    ...(config.eventStore.kind === 'sqlite' ? ['events.db'] : []),
    // The data keys live in SQLite whenever the read models do (infrastructure.module.ts).
    ...(config.readStore.kind === 'sqlite' ? ['read-models.db', 'keys.db'] : []),
  ];
}

function notWritable(target: string): string | undefined {
  try {
    accessSync(target, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return REASONS[code] ?? (code || (error as Error).message);
  }
}

/** Why DATA_DIR (or, when it does not exist yet, the directory it would be created in) cannot be written, if so. */
function directoryProblem(dataDir: string): string | undefined {
  let directory = dataDir;
  while (!existsSync(directory) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  const reason = notWritable(directory);
  if (reason === undefined) return undefined;
  return directory === dataDir ? `DATA_DIR ${dataDir} is not writable (${reason})` : `DATA_DIR ${dataDir} cannot be created: ${directory} is not writable (${reason})`;
}

/**
 * Why the embedded stores could not write under DATA_DIR now, or undefined when they could (or none is used):
 * DATA_DIR (or the directory it would be created in) and each store file there must be writable. access(W_OK)
 * reports a read-only mount (EROFS) and permissions without writing anything.
 */
export function dataDirWriteProblem(config: AppConfig): string | undefined {
  const files = embeddedStoreFiles(config);
  if (files.length === 0) return undefined;
  const problem = directoryProblem(config.dataDir);
  if (problem !== undefined) return problem;
  for (const file of files) {
    const filePath = path.join(config.dataDir, file);
    if (!existsSync(filePath)) continue;
    const reason = notWritable(filePath);
    if (reason !== undefined) return `DATA_DIR ${config.dataDir}: ${file} is not writable (${reason})`;
  }
  return undefined;
}

/**
 * What to say when the development keys could not be saved in DATA_DIR (loadAppConfig writes them there when they
 * are missing): DATA_DIR and the reason when it is not writable, else the error's own message. (Node's recursive
 * mkdir under a read-only mount fails with ENOENT, so the directory is asked, not the error's code.)
 */
export function developmentKeysProblem(dataDir: string, error: unknown): string {
  const message = (error as Error).message;
  if (typeof (error as NodeJS.ErrnoException).code !== 'string') return message;
  const problem = directoryProblem(dataDir);
  return problem === undefined ? message : `${problem}: the development keys cannot be saved there (or set them in the environment, see README, Configuration)`;
}

/** The one line a process writes before it exits because of `problem`. */
export function dataDirStartLine(app: string, problem: string): string {
  return `${app} cannot start: ${problem}. The embedded SQLite stores write there: mount it read-write, or set DATA_DIR to a writable directory.\n`;
}
