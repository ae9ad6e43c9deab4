import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import request from 'supertest';
import type { AddressInfo } from 'node:net';
import type { EventStore } from '@cards/event-store';
import { residentIdCheckCharacter } from '@cards/domain';
import { computeVisaCvv, ROLES, TokenMinter } from '@cards/security';
import { createCardApi } from '../../src/app.factory';
import { loadAppConfig, type AppConfig } from '@cards/platform';

/** The HS256 secret every test app verifies tokens with, unless the test configures another way. */
export const TEST_JWT_SECRET = 'e2e-tests-only:0123456789abcdef0123456789abcdef';
/** The subject of the default token, which holds every role. */
export const TEST_SUBJECT = 'e2e-tester';

export interface TokenRequest {
  readonly roles?: readonly string[];
  readonly sub?: string;
  readonly ttlSeconds?: number;
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly dataDir: string;
  readonly logFile: string;
  /**
   * Requests to the app. By default they carry a token of TEST_SUBJECT holding every role; pass a token to send
   * that one instead, or null to send none.
   */
  http(token?: string | null): ReturnType<typeof request>;
  /** A token the app accepts (HS256 under its secret): all roles and TEST_SUBJECT unless told otherwise. */
  token(claims?: TokenRequest): Promise<string>;
  close(): Promise<void>;
}

/** `Authorization` header value for a token. */
export const bearer = (token: string): string => `Bearer ${token}`;

/** Mints tokens for an app that verifies HS256 tokens; for one configured with a public key, mint with its private key. */
export function tokenMinterFor(config: AppConfig): TokenMinter {
  if (config.auth.algorithm !== 'HS256') throw new Error(`This app verifies ${config.auth.algorithm} tokens: sign them with the private key`);
  return TokenMinter.forSecret(config.auth.secret);
}

/** Requests to an app's HTTP server, with a token or without. */
export function httpClient(app: NestFastifyApplication, token: string | null): ReturnType<typeof request> {
  if (token === null) return request(app.getHttpServer());
  return request.agent(app.getHttpServer()).set('Authorization', bearer(token));
}

/** A fresh DATA_DIR under the OS temp directory; removed by `removeDataDir`. */
export function newDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'card-api-e2e-'));
}

export function removeDataDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the real card-api (Fastify, real SQLite store in `dataDir`), logging to a file the test can scan. It
 * verifies HS256 tokens under TEST_JWT_SECRET (unless `env` sets AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY) and its
 * rate limits are out of the way (unless `env` sets them).
 */
export async function startTestApp(dataDir = newDataDir(), env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadAppConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    ...(env.AUTH_JWT_PUBLIC_KEY === undefined && { AUTH_JWT_SECRET: TEST_JWT_SECRET }),
    ...env,
  });
  const logFile = path.join(dataDir, 'card-api.log');
  const logDestination = pino.destination({ dest: logFile, sync: true, append: true });
  const app = await createCardApi(config, { logDestination });
  const minter = config.auth.algorithm === 'HS256' ? tokenMinterFor(config) : undefined;
  const token = async (claims: TokenRequest = {}): Promise<string> => {
    if (!minter) throw new Error(`This app verifies ${config.auth.algorithm} tokens: sign them with the private key`);
    return minter.mint({ subject: claims.sub ?? TEST_SUBJECT, roles: claims.roles ?? ROLES, ttlSeconds: claims.ttlSeconds ?? 3600 });
  };
  const defaultToken = minter ? await token() : null;
  return {
    app,
    config,
    dataDir,
    logFile,
    http: (given?: string | null) => httpClient(app, given === undefined ? defaultToken : given),
    token,
    close: async () => {
      await app.close();
      logDestination.flushSync();
    },
  };
}

/** The CVV2 the issuer's keys give this card, as a cardholder would read it off the back. */
export function cvv2For(config: AppConfig, cardNumber: string, expiry: string): string {
  const [mm, yy] = expiry.split('/');
  return computeVisaCvv({ cardNumber, expiryYymm: `${yy}${mm}`, serviceCode: '000', cvk: config.keys.cardCvk });
}

/** A Luhn-valid card number with the given prefix and length, different for every call with another seed. */
export function luhnCardNumber(prefix: string, length: number, seed: number): string {
  const body = (prefix + String(seed).padStart(length - prefix.length - 1, '0')).slice(0, length - 1);
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}

let seedCounter = Math.floor(Math.random() * 1_000_000);
export const nextSeed = (): number => ++seedCounter;

/** A valid future expiry, MM/YY. */
export function futureExpiry(yearsAhead = 3): string {
  const year = new Date().getUTCFullYear() + yearsAhead;
  return `12/${String(year).slice(2)}`;
}

/**
 * A valid mainland resident id (Beijing Chaoyang, GB 11643-1999 check character) that no other call in this test
 * process gives: the service registers one customer per id document, so every registration needs its own.
 */
export function freshResidentId(): string {
  const n = ++residentIdCounter;
  const birth = new Date(Date.UTC(1950, 0, 1) + (Math.floor(n / 1000) % 18_000) * 86_400_000);
  const first17 = `110105${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(n % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckCharacter(first17);
}
let residentIdCounter = Math.floor(Math.random() * 1_000_000);

/** A passport number ('E' and eight digits) that no other call in this test process gives. */
export function freshPassportNumber(): string {
  return `E${String(++passportCounter % 100_000_000).padStart(8, '0')}`;
}
let passportCounter = Math.floor(Math.random() * 50_000_000);

/**
 * A customer to register. Its id number is registered once per data directory: send `{ ...CUSTOMER, idNumber:
 * freshResidentId() }` (or use registerCustomer in lifecycle-steps.ts) to register more than one.
 */
export const CUSTOMER = {
  name: '张三',
  idType: 'CN_RESIDENT_ID',
  idNumber: '11010519491231002X',
  phone: '13800138000',
  email: 'zhang.san@example.com',
  preferredChannels: ['SMS', 'EMAIL'],
  locale: 'zh-CN',
} as const;

/** Every event in the store, counted page by page through the global log. */
export async function countEvents(store: EventStore): Promise<number> {
  let count = 0;
  let page = await store.readAll({ maxCount: 1000 });
  while (page.length > 0) {
    count += page.length;
    page = await store.readAll({ from: page[page.length - 1].position, maxCount: 1000 });
  }
  return count;
}

/** Makes the app listen on a free loopback port, for clients that speak real HTTP (the CLI); returns its URL. */
export async function listenOnLoopback(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
}

/** Collects what a progress bar writes, as a non-TTY (CI, a pipe) would receive it. */
export function capturedOutput(): { isTTY: boolean; text: string; write(s: string): boolean } {
  return {
    isTTY: false,
    text: '',
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

/** Every file below a directory (DATA_DIR scans for data that must not be there). */
export function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}
