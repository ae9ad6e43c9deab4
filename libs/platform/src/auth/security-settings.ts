/** Defaults and fixed values of the service's HTTP defences, shared by the code and docs/security.md. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;
export const DEFAULT_RATE_LIMIT_PER_IP_PER_MINUTE = 600;
export const RATE_LIMIT_WINDOW_SECONDS = 60;
/** How long the development tokens printed at start-up are valid. */
export const DEV_TOKEN_TTL_HOURS = 12;
/** The largest request body, in bytes, except where an endpoint says otherwise (imports). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
