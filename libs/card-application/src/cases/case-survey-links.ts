import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The link a customer answers a case's satisfaction survey by, without an account or a token of ours (docs/cases.md,
 * "Survey"): base64url of the case id's 16 bytes and the expiry (unix seconds, 4 bytes), a dot, and base64url of the
 * first 16 bytes of HMAC-SHA256 over those 20 bytes: 50 characters, short enough for a path segment and an e-mail. The key is derived with HKDF-SHA256 from
 * PII_LOOKUP_KEY under its own label (`cards/case-survey-link/v1`), so no new secret is to be kept, and a survey
 * link can never be confused with a lookup hash. The link holds no personal data: a case id and a time.
 */
export class CaseSurveyLinks {
  private readonly key: Buffer;

  constructor(
    secretHex: string,
    /** How long a link answers, from when it was made (CASE_SURVEY_LINK_DAYS). */
    readonly validityDays: number,
    /** Where the e-mail sends the customer: this followed by the token (CASE_SURVEY_PAGE_URL). */
    readonly pageUrl: string,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secretHex, 'hex'), Buffer.alloc(0), 'cards/case-survey-link/v1', 32));
  }

  /** A token for the case, valid `validityDays` from `now`. */
  token(caseId: string, now: Date): string {
    const expires = Math.floor(now.getTime() / 1000) + this.validityDays * 86_400;
    const hex = caseId.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError('a case id is a UUID');
    const payload = Buffer.alloc(20);
    Buffer.from(hex, 'hex').copy(payload, 0);
    payload.writeUInt32BE(expires, 16);
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The link the e-mail carries. */
  link(caseId: string, now: Date): string {
    return `${this.pageUrl}${this.token(caseId, now)}`;
  }

  /** The case a token is for; or why it is refused (never which part of a forged token was wrong). */
  verify(token: string, now: Date): { readonly ok: true; readonly caseId: string; readonly expiresAt: string } | { readonly ok: false; readonly reason: 'INVALID' | 'EXPIRED' } {
    const match = /^([A-Za-z0-9_-]{27})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (match === null) return { ok: false, reason: 'INVALID' };
    const payload = Buffer.from(match[1], 'base64url');
    const given = Buffer.from(match[2], 'base64url');
    const expected = this.mac(payload);
    if (payload.length !== 20 || given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'INVALID' };
    const hex = payload.subarray(0, 16).toString('hex');
    const caseId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const expiresAt = payload.readUInt32BE(16) * 1000;
    if (now.getTime() >= expiresAt) return { ok: false, reason: 'EXPIRED' };
    return { ok: true, caseId, expiresAt: new Date(expiresAt).toISOString() };
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, 16);
  }
}

/** DI token: CaseSurveyLinks (built from PII_LOOKUP_KEY and CASE_SURVEY_* by the infrastructure module). */
export const CASE_SURVEY_LINKS = Symbol('CASE_SURVEY_LINKS');

export const DEFAULT_SURVEY_LINK_DAYS = 14;
