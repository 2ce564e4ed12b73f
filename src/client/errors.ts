import type { OAuthErrorBody, ShopperErrorBody } from './types.js';

/**
 * Any failed call: a non-success answer from Sessionlink (the HTTP status, the server's error code
 * such as `invalid_grant`, `invalid_token`, `resource-not-found`, and its description, from either
 * error body shape), or no usable answer at all, with status 0 and the code `network_error` (server
 * down, connection refused or reset), `timeout`, `aborted` or `invalid_response`; `session_closed`
 * after `logout()`. The underlying error, if any, is `cause`.
 */
export class SessionlinkError extends Error {
  readonly status: number;
  readonly code: string;
  readonly description: string;
  /** Seconds to wait, from `Retry-After` (429 and 503); undefined otherwise. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, description: string, retryAfter?: number, cause?: unknown) {
    super(status === 0 ? `${code}: ${description}` : `${status} ${code}: ${description}`, cause === undefined ? undefined : { cause });
    this.name = 'SessionlinkError';
    this.status = status;
    this.code = code;
    this.description = description;
    this.retryAfter = retryAfter;
  }

  /** The access token is dead (401 `invalid_token`); a refresh may help. */
  get isInvalidToken(): boolean {
    return this.status === 401 && this.code === 'invalid_token';
  }

  /** The grant was refused (400 `invalid_grant`): a bad password, session token or refresh token. */
  get isInvalidGrant(): boolean {
    return this.code === 'invalid_grant';
  }

  /** No answer came: the server is down or unreachable, or the call timed out (not an abort). */
  get isNetworkError(): boolean {
    return this.status === 0 && (this.code === 'network_error' || this.code === 'timeout');
  }
}

function retryAfterOf(headers: Headers): number | undefined {
  const raw = headers.get('retry-after');
  if (raw === null) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Reads an error response of either surface into a SessionlinkError. */
export async function errorFromResponse(res: Response): Promise<SessionlinkError> {
  const text = await res.text().catch(() => '');
  const retryAfter = retryAfterOf(res.headers);
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (body !== null && typeof body === 'object') {
    const oauth = body as Partial<OAuthErrorBody>;
    if (typeof oauth.error === 'string') {
      return new SessionlinkError(res.status, oauth.error, oauth.error_description ?? '', retryAfter);
    }
    const first = (body as Partial<ShopperErrorBody>).errors?.error?.[0];
    if (first !== undefined && typeof first.code === 'string') {
      return new SessionlinkError(res.status, first.code, first.description ?? '', retryAfter);
    }
  }
  // Not a contract body (a proxy's page, say): keep a short, single-line excerpt.
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new SessionlinkError(res.status, `http_${res.status}`, excerpt || res.statusText, retryAfter);
}
