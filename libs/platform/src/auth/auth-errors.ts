import type { Role, TokenRejectedError, TokenRejection } from '@cards/security';

/** No token, or one that does not prove who the caller is: a 401 with `WWW-Authenticate: Bearer`. */
export class AuthenticationRequiredError extends Error {
  private constructor(readonly reason: TokenRejection | 'missing', message: string) {
    super(message);
    this.name = 'AuthenticationRequiredError';
  }

  static missingToken(): AuthenticationRequiredError {
    return new AuthenticationRequiredError('missing', 'Send a token: Authorization: Bearer <JWT>');
  }

  static badHeader(): AuthenticationRequiredError {
    return new AuthenticationRequiredError('malformed', 'The Authorization header must be "Bearer <JWT>"');
  }

  static rejected(error: TokenRejectedError): AuthenticationRequiredError {
    return new AuthenticationRequiredError(error.reason, error.message);
  }
}

/** A known caller whose roles do not allow this endpoint (or an endpoint missing from the permission table). */
export class AccessDeniedError extends Error {
  constructor(
    /** `METHOD /route/pattern`. */
    readonly route: string,
    /** The roles that may call it; empty when the route is not in the permission table. */
    readonly allowedRoles: readonly Role[],
    readonly callerRoles: readonly Role[],
  ) {
    super(
      allowedRoles.length === 0
        ? `${route} is not in the permission table, so no role may call it`
        : `${route} needs one of the roles ${allowedRoles.join(', ')}; the token has ${callerRoles.length === 0 ? 'none of the known roles' : callerRoles.join(', ')}`,
    );
    this.name = 'AccessDeniedError';
  }
}

/** Too many requests from one caller (token subject) or, without a valid token, from one IP address. */
export class RateLimitExceededError extends Error {
  constructor(readonly retryAfterSeconds: number, readonly limitPerMinute: number, readonly keyedBy: 'token' | 'ip') {
    super(
      `More than ${limitPerMinute} requests in a minute ${keyedBy === 'token' ? 'with this token\'s subject' : 'from this address without a valid token'}; ` +
        `retry in ${retryAfterSeconds} s`,
    );
    this.name = 'RateLimitExceededError';
  }
}
