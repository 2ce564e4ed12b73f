/**
 * One error vocabulary. Each class is a wire code; the HTTP layer renders it in the body shape of
 * the surface it happened on (OAuth `{error, error_description}` or the Shopper API
 * `{errors:{error:[…]}}`).
 */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly description: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, description: string, headers: Record<string, string> = {}) {
    // An expected answer, not a bug: no stack trace. Capturing one was the largest cost of
    // answering a flood of bad tokens or over-budget guests.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${code}: ${description}`);
    Error.stackTraceLimit = limit;
    this.status = status;
    this.code = code;
    this.description = description;
    this.headers = headers;
  }
}

/** A value the caller sent, as an error message may repeat it: short, one line, printable ASCII. */
export function printable(value: string): string {
  return value.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
}

/**
 * A request that is malformed or breaks a rule about its parameters. Two wire codes for the one
 * idea, one per surface's convention: OAuth's `invalid_request` and the Shopper API's
 * `invalid-request` (quantities, missing fields, profile values).
 */
export class InvalidRequest extends ServiceError {
  constructor(description: string) {
    super(400, 'invalid_request', description);
  }
}

/** The Shopper API's spelling of InvalidRequest: 400 `invalid-request`. */
export class ShopperInvalidRequest extends ServiceError {
  constructor(description: string) {
    super(400, 'invalid-request', description);
  }
}

export class InvalidClient extends ServiceError {
  constructor(description = 'Client authentication failed') {
    super(401, 'invalid_client', description, { 'www-authenticate': 'Basic realm="sessionlink"' });
  }
}

export class InvalidGrant extends ServiceError {
  constructor(description: string) {
    super(400, 'invalid_grant', description);
  }
}

/** The one answer for an unknown username or a wrong password: the only login failure counted. */
export class WrongPassword extends InvalidGrant {
  constructor() {
    super('Invalid username or password');
  }
}

export class UnauthorizedClient extends ServiceError {
  constructor(description: string) {
    super(400, 'unauthorized_client', description);
  }
}

export class UnsupportedGrantType extends ServiceError {
  constructor(grantType: string) {
    super(400, 'unsupported_grant_type', `Unsupported grant_type "${grantType.slice(0, 64)}"`);
  }
}

export class LimitedTokenInvalid extends ServiceError {
  constructor(description = 'The dr_limited_token is not a live limited token of this site') {
    super(400, 'dr_limited_token_invalid', description);
  }
}

/** Why a token or session token no longer works: each text written once, used by every grant and check. */
export const TOKEN_REASONS = {
  expired: 'Session expired',
  revoked: 'Token revoked',
  rekeyed: 'Session re-keyed at login',
  unknown: 'Invalid token for specified shopper',
  missing: 'Missing access token: send Authorization: Bearer <token>',
  scheme: 'Authorization header must use the Bearer scheme: Authorization: Bearer <token>'
} as const;
export type TokenDeathReason = keyof typeof TOKEN_REASONS;

export class InvalidToken extends ServiceError {
  readonly reason: TokenDeathReason;
  constructor(reason: TokenDeathReason) {
    super(401, 'invalid_token', TOKEN_REASONS[reason], {
      'www-authenticate': `Bearer error="invalid_token", error_description="${TOKEN_REASONS[reason]}"`
    });
    this.reason = reason;
  }
}

export class Forbidden extends ServiceError {
  constructor(description: string) {
    super(403, 'forbidden', description);
  }
}

export class NotFound extends ServiceError {
  constructor(description: string) {
    super(404, 'resource-not-found', description);
  }
}

export class Conflict extends ServiceError {
  constructor(code: string, description: string) {
    super(409, code, description);
  }
}

export class MethodNotAllowed extends ServiceError {
  constructor(allow: string) {
    super(405, 'method-not-allowed', 'Method not allowed', { allow });
  }
}

export class TooManyRequests extends ServiceError {
  constructor(retryAfterSeconds: number, headers: Record<string, string> = {}) {
    super(429, 'rate-limit-exceeded', 'Too many requests; retry later', {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
      ...headers
    });
  }
}
