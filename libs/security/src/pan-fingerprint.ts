import { createHmac } from 'node:crypto';

const MIN_KEY_BYTES = 32;

function assertCardDigits(value: unknown, name: string): asserts value is string {
  // The value is never echoed: it is a card number.
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
    throw new Error(`${name} must be a non-empty string of digits`);
  }
}

/**
 * Keyed, one-way identifiers for card numbers, so that the service can find, deduplicate and refer to a card
 * without storing its number. Without the key the outputs cannot be brute-forced from the (small) space of
 * card numbers, which a plain hash could.
 */
export class PanFingerprinter {
  readonly #key: Buffer;

  /** @param keyHex the fingerprint key, hex; at least 32 bytes (64 hex characters). */
  constructor(keyHex: string) {
    if (typeof keyHex !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(keyHex)) {
      throw new Error('The PAN fingerprint key must be an even number of hexadecimal characters');
    }
    if (keyHex.length < MIN_KEY_BYTES * 2) {
      throw new Error(
        `The PAN fingerprint key must be at least ${MIN_KEY_BYTES} bytes (${MIN_KEY_BYTES * 2} hex characters); got ${keyHex.length / 2} bytes`,
      );
    }
    this.#key = Buffer.from(keyHex, 'hex');
  }

  /** HMAC-SHA256 of the card number under the key: 64 lowercase hex characters. */
  fingerprint(cardNumberDigits: string): string {
    assertCardDigits(cardNumberDigits, 'cardNumberDigits');
    return createHmac('sha256', this.#key).update(cardNumberDigits, 'utf8').digest('hex');
  }

  /**
   * The card's id (and so its event stream id), derived from its number: a UUIDv8 (RFC 9562) built from the first
   * 16 bytes of HMAC-SHA256(key, 'card-id:' + digits).
   *
   * Why derived rather than random: issuing the same card number twice must fail. With the id a function of the
   * number, the second issuance targets the same stream, and the event store's atomic "stream must not exist"
   * check rejects it — a uniqueness constraint that works on any event store (EventStoreDB, SQLite…) without a
   * separate index, a read-then-write race, or storing the card number anywhere. The 'card-id:' prefix keeps the
   * id distinct from {@link fingerprint} under the same key, so one cannot be computed from the other.
   */
  deriveCardId(cardNumberDigits: string): string {
    assertCardDigits(cardNumberDigits, 'cardNumberDigits');
    const b = createHmac('sha256', this.#key).update(`card-id:${cardNumberDigits}`, 'utf8').digest().subarray(0, 16);
    b[6] = (b[6]! & 0x0f) | 0x80; // version 8: custom
    b[8] = (b[8]! & 0x3f) | 0x80; // variant 10xx: RFC 9562
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }
}

/**
 * A card number fit for logs and screens: the first 6 (the issuer's BIN) and last 4 digits, the rest as '*',
 * e.g. 4123456789012345 → 412345******2345. Never throws: anything that is not a number long enough to keep
 * something hidden comes back masked except, at most, its last 4 digits.
 */
export function maskPan(digits: string): string {
  if (typeof digits !== 'string') return '';
  if (!/^[0-9]+$/.test(digits)) return '*'.repeat(digits.length);
  const n = digits.length;
  if (n >= 12) return digits.slice(0, 6) + '*'.repeat(n - 10) + digits.slice(-4);
  if (n > 4) return '*'.repeat(n - 4) + digits.slice(-4);
  return '*'.repeat(n);
}
