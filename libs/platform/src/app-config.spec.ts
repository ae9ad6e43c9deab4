import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError, loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-config-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('given nothing but a DATA_DIR, runs the embedded default and generates keys there', () => {
    const config = loadAppConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 3000,
      dataDir,
      production: false,
      eventStore: { kind: 'sqlite' },
      readStore: { kind: 'sqlite' },
      logLevel: 'info',
      identityMatchScoreThreshold: 0.8,
    });
    expect([...config.generatedKeys].sort()).toEqual(['CARD_CVK', 'PAN_FINGERPRINT_KEY']);
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(true);
    expect(loadAppConfig({ DATA_DIR: dataDir }).keys).toEqual(config.keys);
  });

  it('given production without keys, refuses to start and names each missing key', () => {
    const attempt = () => loadAppConfig({ DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/CARD_CVK/);
    expect(attempt).toThrow(/PAN_FINGERPRINT_KEY/);
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('given production with keys, starts and writes no key file', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      CARD_CVK: '0123456789ABCDEFFEDCBA9876543210',
      PAN_FINGERPRINT_KEY: 'ab'.repeat(32),
    });
    expect(config.production).toBe(true);
    expect(config.generatedKeys).toEqual([]);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('reports every bad variable at once', () => {
    try {
      loadAppConfig({
        DATA_DIR: dataDir,
        PORT: 'eighty',
        EVENT_STORE: 'postgres',
        READ_STORE: 'mongodb',
        LOG_LEVEL: 'loud',
        IDENTITY_MATCH_SCORE_THRESHOLD: '2',
        CARD_CVK: 'not-hex',
      });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      for (const name of ['PORT', 'EVENT_STORE', 'MONGODB_URL', 'LOG_LEVEL', 'IDENTITY_MATCH_SCORE_THRESHOLD', 'CARD_CVK']) {
        expect(message).toContain(name);
      }
      expect(message).not.toContain('not-hex');
    }
  });

  it('switches each backend with one variable and checks its connection string', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      READ_STORE: 'mongodb',
      MONGODB_URL: 'mongodb://localhost:27017/cards?directConnection=true',
    });
    expect(config.eventStore).toEqual({ kind: 'eventstoredb', connectionString: 'esdb://localhost:2113?tls=false' });
    expect(config.readStore).toEqual({ kind: 'mongodb', url: 'mongodb://localhost:27017/cards?directConnection=true' });
    expect(() => loadAppConfig({ DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_CONNECTION_STRING is required/);
    expect(() =>
      loadAppConfig({ DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'kurrentdb://x' }),
    ).toThrow(/must start with esdb:\/\//);
  });
});
