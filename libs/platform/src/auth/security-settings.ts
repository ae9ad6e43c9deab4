/** Defaults and fixed values of the service's HTTP defences, shared by the code and docs/security.md. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;
export const DEFAULT_RATE_LIMIT_PER_IP_PER_MINUTE = 600;
export const RATE_LIMIT_WINDOW_SECONDS = 60;
/** How long the development tokens printed at start-up are valid. */
export const DEV_TOKEN_TTL_HOURS = 12;
/** The largest request body, in bytes, except where an endpoint says otherwise (imports). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/**
 * Routes that carry a biometric sample (a photo, a fingerprint template) in base64, and their larger body limit.
 * Fastify patterns, as in the permission table.
 */
export const SAMPLE_BODY_LIMIT_BYTES = 1536 * 1024;
export const SAMPLE_ROUTES: readonly string[] = ['/v1/cards/:cardId/identity-verifications', '/v1/customers/:customerId/identity-verifications'];
