import { invalid, type Validated } from './validated';

export type EmailCheck = Validated<{ /** The domain in lower case; the local part as given. */ readonly value: string }>;

const MAX_LENGTH = 254;

/**
 * A pragmatic check, not RFC 5322: enough to catch typing mistakes. Whether the mailbox exists is only known
 * when a message is delivered.
 */
export function validateEmail(raw: string): EmailCheck {
  const value = raw.trim();
  if (value.length === 0) return invalid('is required');
  if (value.length > MAX_LENGTH) return invalid(`must be at most ${MAX_LENGTH} characters`);
  if (/\s/.test(value)) return invalid('must not contain spaces');
  const parts = value.split('@');
  if (parts.length !== 2) return invalid('must contain exactly one @');
  const [local, domain] = parts;
  if (local.length === 0) return invalid('needs a name before the @');
  if (!/^[^.]+(\.[^.]+)+$/.test(domain)) return invalid('needs a domain such as example.com after the @');
  return { ok: true, value: `${local}@${domain.toLowerCase()}` };
}
