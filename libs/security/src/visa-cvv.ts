import { createCipheriv, timingSafeEqual } from 'node:crypto';
import type { CardVerification } from './card-verification.port';

/** The service code the issuer uses when computing CVV2 (the printed value), as opposed to CVV1 on the stripe. */
export const CVV2_SERVICE_CODE = '000';

export interface VisaCvvInput {
  /** Primary account number, digits only (12–19 digits). */
  cardNumber: string;
  /** Expiry as YYMM, four digits. */
  expiryYymm: string;
  /** Three-digit service code ('000' for CVV2, the stripe's code for CVV1). */
  serviceCode: string;
  /** Card verification key: 32 hex characters, key A (first 16) followed by key B (last 16). */
  cvk: string;
}

const CVK_PATTERN = /^[0-9a-fA-F]{32}$/;

/**
 * Throws if `cvk` is not a double-length DES key in hex. The message never repeats the value.
 * @param name how to call the key in the message (e.g. the environment variable it came from)
 */
export function assertValidCvk(cvk: unknown, name = 'cvk'): asserts cvk is string {
  if (typeof cvk !== 'string' || !CVK_PATTERN.test(cvk)) {
    const got = typeof cvk === 'string' ? `a value of ${cvk.length} characters` : typeof cvk;
    throw new Error(
      `${name} must be exactly 32 hexadecimal characters (key A then key B, 16 hex each); got ${got}`,
    );
  }
}

function assertDigits(value: unknown, name: string, min: number, max: number): asserts value is string {
  const wanted = min === max ? `exactly ${min} digits` : `${min} to ${max} digits`;
  if (typeof value !== 'string') {
    throw new Error(`${name} must be a string of ${wanted}; got ${typeof value}`);
  }
  // The value itself is never echoed: a card number is sensitive.
  if (!/^[0-9]*$/.test(value)) {
    throw new Error(`${name} must contain digits only (${wanted})`);
  }
  if (value.length < min || value.length > max) {
    throw new Error(`${name} must be ${wanted}; got ${value.length}`);
  }
}

/**
 * One 8-byte block through `des-ede3-ecb`, no padding. OpenSSL 3's default provider no longer offers single DES,
 * so single DES under A is run as EDE with A||A||A (E_A(D_A(E_A(x))) = E_A(x)), and double-length 3DES as A||B||A.
 */
function tripleDesEncryptBlock(k1: Buffer, k2: Buffer, k3: Buffer, block: Buffer): Buffer {
  const key = Buffer.concat([k1, k2, k3]);
  try {
    const cipher = createCipheriv('des-ede3-ecb', key, null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]);
  } finally {
    key.fill(0);
  }
}

/** Hex digits 0–9 in order, then A–F minus 10 in order. */
function decimalise(hex: string): string {
  const upper = hex.toUpperCase();
  let digits = '';
  for (const c of upper) if (c >= '0' && c <= '9') digits += c;
  for (const c of upper) if (c >= 'A' && c <= 'F') digits += String(parseInt(c, 16) - 10);
  return digits;
}

/**
 * The Visa CVV algorithm (CVV1 with the stripe's service code, CVV2 with '000', iCVV with '999').
 * Returns three digits. Throws on malformed input, without repeating the card number or the key.
 */
export function computeVisaCvv({ cardNumber, expiryYymm, serviceCode, cvk }: VisaCvvInput): string {
  assertDigits(cardNumber, 'cardNumber', 12, 19);
  assertDigits(expiryYymm, 'expiryYymm', 4, 4);
  assertDigits(serviceCode, 'serviceCode', 3, 3);
  assertValidCvk(cvk);

  const data = (cardNumber + expiryYymm + serviceCode).padEnd(32, '0');
  const b1 = Buffer.from(data.slice(0, 16), 'hex');
  const b2 = Buffer.from(data.slice(16, 32), 'hex');
  const keyA = Buffer.from(cvk.slice(0, 16), 'hex');
  const keyB = Buffer.from(cvk.slice(16, 32), 'hex');
  try {
    const r1 = tripleDesEncryptBlock(keyA, keyA, keyA, b1); // single DES under A
    const r2 = Buffer.alloc(8);
    for (let i = 0; i < 8; i++) r2[i] = r1[i]! ^ b2[i]!;
    const r3 = tripleDesEncryptBlock(keyA, keyB, keyA, r2); // encrypt A, decrypt B, encrypt A
    return decimalise(r3.toString('hex')).slice(0, 3);
  } finally {
    keyA.fill(0);
    keyB.fill(0);
  }
}

/**
 * The embedded {@link CardVerification}: recomputes the CVV2 under this service's CVK
 * (card number, expiry as YYMM, service code 000) and compares in constant time.
 */
export class VisaCvvCardVerification implements CardVerification {
  readonly #cvk: string;

  constructor(cvkHex: string) {
    assertValidCvk(cvkHex);
    this.#cvk = cvkHex;
  }

  /** The CVV2 this key gives the card, e.g. to print it on a development card. */
  computeCvv2(cardNumber: string, expiryYymm: string): string {
    return computeVisaCvv({ cardNumber, expiryYymm, serviceCode: CVV2_SERVICE_CODE, cvk: this.#cvk });
  }

  async verifyCvv2({ cardNumber, expiryYymm, cvv }: { cardNumber: string; expiryYymm: string; cvv: string }): Promise<boolean> {
    const expected = Buffer.from(this.computeCvv2(cardNumber, expiryYymm), 'utf8');
    if (typeof cvv !== 'string') return false;
    const given = Buffer.from(cvv, 'utf8');
    if (given.length !== expected.length) return false;
    return timingSafeEqual(given, expected);
  }
}
