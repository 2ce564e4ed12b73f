import { SessionlinkError } from './errors.js';
import { ShopperApi } from './shopper-api.js';
import type { CallOptions, Transport } from './transport.js';
import type { RevokeHint, TokenInfo, TokenResponse } from './types.js';

export type TokenKind = 'limited' | 'full' | 'unknown';

/** The token pair a session holds; what a server persists through `onTokens`. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** When the access token stops working, in ms since the epoch on the session's clock. */
  expiresAt: number;
  /** `limited` (anonymous shopper), `full` (registered/external), or `unknown` when resumed without it. */
  kind: TokenKind;
}

export interface ShopperSessionOptions {
  /** Called with every new pair (refresh or renewal) before the call that needed it goes on. */
  onTokens?: (tokens: TokenSet, event: { renewed: boolean }) => void | Promise<void>;
  /**
   * When the refresh is refused (`invalid_grant`: an anonymous session ended, a token revoked),
   * start a new anonymous session instead of failing. The new session has a new, empty cart, so it
   * is opt-in, and it never applies to a full token: a signed-in shopper is not silently signed out.
   */
  renewAnonymous?: boolean;
  /** Refresh this many seconds before `expires_in` runs out (default 0). */
  refreshSkewSeconds?: number;
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
}

function isTokenSet(tokens: TokenResponse | TokenSet): tokens is TokenSet {
  return typeof (tokens as TokenSet).accessToken === 'string';
}

/**
 * A shopper session seen from the app: the Shopper API with a token pair that refreshes itself.
 * Before a call it refreshes an access token whose `expires_in` has run out; a call answered 401
 * `invalid_token` is retried once after a refresh. Concurrent calls share one refresh.
 */
/** What a session needs of its client (SessionlinkClient is one; named here so the two files do not import each other). */
export interface TokenIssuer {
  readonly transport: Transport;
  anonymousToken(options?: CallOptions): Promise<TokenResponse>;
  passwordToken(login: { username: string; password: string; sessionToken?: string; limitedToken?: string }, options?: CallOptions): Promise<TokenResponse>;
  refreshToken(refreshToken: string, options?: CallOptions): Promise<TokenResponse>;
  revokeAccessToken(accessToken: string, options?: CallOptions): Promise<TokenInfo>;
  revoke(token: string, hint?: RevokeHint, options?: CallOptions): Promise<void>;
}

export class ShopperSession extends ShopperApi {
  private readonly client: TokenIssuer;
  private readonly options: ShopperSessionOptions;
  private readonly now: () => number;
  private current: TokenSet;
  private inflight: Promise<TokenSet> | null = null;
  private closed = false;

  constructor(client: TokenIssuer, tokens: TokenResponse | TokenSet, options: ShopperSessionOptions & { kind?: TokenKind } = {}) {
    super(client.transport, async (call) => await this.withToken(call));
    this.client = client;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.current = isTokenSet(tokens) ? { ...tokens, kind: options.kind ?? tokens.kind } : this.toSet(tokens, options.kind ?? 'unknown');
  }

  /** The pair in use now (copy). */
  get tokens(): TokenSet {
    return { ...this.current };
  }

  /** True when the access token's `expires_in` (less the skew) has run out. */
  get expired(): boolean {
    return this.now() >= this.current.expiresAt - (this.options.refreshSkewSeconds ?? 0) * 1000;
  }

  private toSet(res: TokenResponse, kind: TokenKind): TokenSet {
    return { accessToken: res.access_token, refreshToken: res.refresh_token, expiresAt: this.now() + res.expires_in * 1000, kind };
  }

  /** True after logout(): every call then fails with `session_closed`. */
  get loggedOut(): boolean {
    return this.closed;
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new SessionlinkError(0, 'session_closed', 'This session was logged out; start a new one with client.startSession()');
    }
  }

  /** Refreshes now; joins the refresh already in flight, if any. */
  async refresh(): Promise<TokenSet> {
    this.ensureOpen();
    this.inflight ??= this.rotate().finally(() => {
      this.inflight = null;
    });
    return { ...await this.inflight };
  }

  private async rotate(): Promise<TokenSet> {
    const spent = this.current;
    let next: TokenSet;
    let renewed = false;
    try {
      next = this.toSet(await this.client.refreshToken(spent.refreshToken), spent.kind);
    } catch (err) {
      const renewable = err instanceof SessionlinkError && err.isInvalidGrant && this.options.renewAnonymous === true && spent.kind === 'limited';
      if (!renewable) throw err;
      next = this.toSet(await this.client.anonymousToken(), 'limited');
      renewed = true;
    }
    this.current = next;
    await this.options.onTokens?.({ ...next }, { renewed });
    return next;
  }

  /** Runs `call` with a live access token: refresh first when expired, refresh and retry once on 401. */
  async withToken<T>(call: (accessToken: string) => Promise<T>): Promise<T> {
    this.ensureOpen();
    if (this.inflight !== null || this.expired) {
      await this.refresh();
    }
    const used = this.current.accessToken;
    try {
      return await call(used);
    } catch (err) {
      if (!(err instanceof SessionlinkError && err.isInvalidToken)) throw err;
      // Another call may have refreshed already while this one was out; then only retry.
      if (this.current.accessToken === used || this.inflight !== null) {
        await this.refresh();
      }
      return await call(this.current.accessToken);
    }
  }

  /** Revokes the access token and its refresh token (the session lives on); see also logout(). */
  async revoke(options?: CallOptions): Promise<void> {
    await this.client.revokeAccessToken(this.current.accessToken, options).catch((err: unknown) => {
      // Already dead is as good as revoked; spend the refresh token too.
      if (!(err instanceof SessionlinkError && err.isInvalidToken)) throw err;
      return this.client.revoke(this.current.refreshToken, 'refresh_token', options);
    });
  }

  /**
   * Signs a shopper in on this session (a confidential client): the password grant, carrying a
   * limited token's cart into the shopper's (merged with a saved cart). The server re-keys the
   * session, so the limited pair dies and this object holds the new full pair (`onTokens` hears
   * of it). A wrong password is a SessionlinkError `invalid_grant`, and the limited pair stays.
   */
  async login(username: string, password: string, options?: CallOptions): Promise<TokenSet> {
    this.ensureOpen();
    if (this.inflight !== null || this.expired) await this.refresh();
    const carry = this.current.kind === 'full' ? {} : { limitedToken: this.current.accessToken };
    const next = this.toSet(await this.client.passwordToken({ username, password, ...carry }, options), 'full');
    this.current = next;
    await this.options.onTokens?.({ ...next }, { renewed: false });
    return { ...next };
  }

  /**
   * Ends this app's hold on the session: revokes the access and refresh tokens, then every later
   * call on this object fails with `session_closed`. The server's session lives on (a signed-in
   * shopper's saved cart is kept); start a new ShopperSession for the next shopper.
   */
  async logout(options?: CallOptions): Promise<void> {
    if (this.closed) return;
    await this.revoke(options);
    this.closed = true;
  }
}
