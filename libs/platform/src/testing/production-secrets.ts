/**
 * Every secret NODE_ENV=production requires, as valid test values: spread it into a test's environment, so that a
 * new required secret is added here once rather than in every test that starts in production.
 */
export const PRODUCTION_SECRETS: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  CARD_CVK: '0123456789ABCDEFFEDCBA9876543210',
  PAN_FINGERPRINT_KEY: 'ab'.repeat(32),
  PII_MASTER_KEY: 'cd'.repeat(32),
  PII_LOOKUP_KEY: 'ef'.repeat(32),
  AUDIT_SIGNING_KEY: '5e'.repeat(32),
  AUTH_JWT_SECRET: 'cd'.repeat(32),
};
