import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeVisaCvv } from '@cards/security';
import { devCvv } from './dev-cvv';

describe('card-cli dev-cvv', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-cli-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints the CVV2 the DATA_DIR development key gives a card (service code 000, expiry as YYMM)', () => {
    const cvk = '0123456789ABCDEFFEDCBA9876543210';
    const result = devCvv(['4111111111111111', '01/31'], { DATA_DIR: dataDir, CARD_CVK: cvk });
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(computeVisaCvv({ cardNumber: '4111111111111111', expiryYymm: '3101', serviceCode: '000', cvk }));
  });

  it('uses the keys the service generated in DATA_DIR, generating them if needed', () => {
    const first = devCvv(['4111111111111111', '12/29'], { DATA_DIR: dataDir });
    expect(first.output).toMatch(/^\d{3}$/);
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(true);
    expect(devCvv(['4111111111111111', '12/29'], { DATA_DIR: dataDir }).output).toBe(first.output);
  });

  it('refuses bad input and production', () => {
    expect(devCvv(['4111111111111112', '12/29'], { DATA_DIR: dataDir })).toMatchObject({ exitCode: 2, output: expect.stringMatching(/Luhn/) });
    expect(devCvv(['4111111111111111', '13/29'], { DATA_DIR: dataDir }).exitCode).toBe(2);
    expect(devCvv([], { DATA_DIR: dataDir }).output).toMatch(/usage/);
    expect(devCvv(['4111111111111111', '12/29'], { DATA_DIR: dataDir, NODE_ENV: 'production' })).toMatchObject({ exitCode: 2 });
  });
});
