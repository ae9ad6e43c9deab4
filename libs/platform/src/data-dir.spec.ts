import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppConfig } from './app-config';
import { dataDirStartLine, dataDirWriteProblem, developmentKeysProblem } from './data-dir';

// A read-only DATA_DIR itself (EROFS from a read-only mount) is shown by apps/card-api/test/read-only-data-dir.e2e-spec.ts.
describe('DATA_DIR at start', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-data-dir-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const config = (dir: string, embedded = true): AppConfig =>
    ({
      dataDir: dir,
      eventStore: embedded ? { kind: 'sqlite' } : { kind: 'eventstoredb', connectionString: 'esdb://localhost:2113' },
      readStore: embedded ? { kind: 'sqlite' } : { kind: 'mongodb', url: 'mongodb://localhost' },
    }) as AppConfig;

  it('accepts a writable directory, and one still to be created under a writable one', () => {
    expect(dataDirWriteProblem(config(dataDir))).toBeUndefined();
    expect(dataDirWriteProblem(config(path.join(dataDir, 'a', 'b')))).toBeUndefined();
  });

  it('does not look at DATA_DIR when no store is embedded', () => {
    expect(dataDirWriteProblem(config(path.join(dataDir, 'a'), false))).toBeUndefined();
  });

  it('says why the development keys could not be saved: DATA_DIR and the reason when it is not writable, else the error', () => {
    const other = new Error('something else');
    expect(developmentKeysProblem(dataDir, other)).toBe('something else');
    // DATA_DIR is writable here: an fs error is not blamed on it.
    expect(developmentKeysProblem(dataDir, Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }))).toBe('EIO: i/o error');
    expect(dataDirStartLine('card-api', 'DATA_DIR /d is not writable (read-only file system)')).toMatch(
      /^card-api cannot start: DATA_DIR \/d is not writable \(read-only file system\)\. [^\n]+\n$/,
    );
  });
});
