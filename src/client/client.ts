import { ShopperApi } from './shopper-api.js';
import { ShopperSession, type ShopperSessionOptions, type TokenKind, type TokenSet } from './session.js';
import { callOptions, Transport, type CallOptions, type FetchLike } from './transport.js';
import type { RevokeHint, TokenInfo, TokenResponse } from './types.js';
import { Webhooks } from './webhooks.js';

export interface SessionlinkClientOptions {
  /** Origin of the token endpoint and the Shopper API, e.g. `https://api.example.com`. */
  baseURL: string;
  /** The API key. */
  clientId: string;
  /** The secret of a confidential key (server side only); leave out for a public key. */
  clientSecret?: string;
  /** A fetch to use instead of the global one. */
  fetch?: FetchLike;
  /** Default time limit of each call in ms (default 30000; 0 = none); each call may pass its own `timeout` and `signal`. */
  timeout?: number;
  /** The `whsec_…` secret of this app's webhook endpoint, for `client.webhooks.verify` (server side only). */
  webhookSecret?: string;
}

/** Where a session comes from: the token endpoint's grants. */
export type Grant =
  | { type: 'anonymous' }
  | { type: 'session_token'; sessionToken: string }
  | { type: 'password'; username: string; password: string; sessionToken?: string; limitedToken?: string }
  | { type: 'external'; externalReferenceId: string; sessionToken?: string; limitedToken?: string }
  | { type: 'guest' }
  /** The code of the way back (`{returnUrl}?order=…&code=…`); `redirectUri` is the returnUrl without `order` and `code`. */
  | { type: 'authorization_code'; code: string; redirectUri: string };

/** A full token for a registered or external shopper; a limited one otherwise; the way back's code gives either. */
function kindOf(grant: Grant): TokenKind {
  if (grant.type === 'authorization_code') return 'unknown';
  return grant.type === 'password' || grant.type === 'external' ? 'full' : 'limited';
}

/** Form-urlencoded before Basic encoding (RFC 6749 §2.3.1); btoa exists in browsers and Node. */
function basic(id: string, secret: string): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + btoa(`${enc(id)}:${enc(secret)}`);
}

/**
 * A typed client of Sessionlink's token endpoint, token info and Shopper API. Token calls ask for
 * the plain RFC 6749 body. Every failure is thrown as a SessionlinkError.
 */
export class SessionlinkClient {
  readonly transport: Transport;
  /** Verifies and parses webhook deliveries with `webhookSecret`. */
  readonly webhooks: Webhooks;
  private readonly clientId: string;
  private readonly clientSecret: string | undefined;

  constructor(options: SessionlinkClientOptions) {
    this.transport = new Transport(options.baseURL, options.fetch, options.timeout);
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.webhooks = new Webhooks(options.webhookSecret);
  }

  /** Client authentication: Basic for a confidential key, `client_id` for a public one. */
  private authenticated(form: Record<string, string | undefined>): { headers: Record<string, string>; form: Record<string, string | undefined> } {
    if (this.clientSecret !== undefined) {
      return { headers: { authorization: basic(this.clientId, this.clientSecret), accept: 'application/json' }, form };
    }
    return { headers: { accept: 'application/json' }, form: { ...form, client_id: this.clientId } };
  }

  private async tokenCall(form: Record<string, string | undefined>, options?: CallOptions): Promise<TokenResponse> {
    return await this.transport.json<TokenResponse>('/oauth20/token', { method: 'POST', ...this.authenticated(form), ...callOptions(options) });
  }

  /** Any grant that starts or joins a session. */
  async token(grant: Grant, options?: CallOptions): Promise<TokenResponse> {
    switch (grant.type) {
      case 'anonymous':
        return await this.tokenCall({ grant_type: 'password' }, options);
      case 'session_token':
        return await this.tokenCall({ grant_type: 'password', dr_session_token: grant.sessionToken }, options);
      case 'password':
        return await this.tokenCall({
          grant_type: 'password', username: grant.username, password: grant.password,
          dr_session_token: grant.sessionToken, dr_limited_token: grant.limitedToken
        }, options);
      case 'external':
        return await this.tokenCall({
          grant_type: 'client_credentials', dr_external_reference_id: grant.externalReferenceId,
          dr_session_token: grant.sessionToken, dr_limited_token: grant.limitedToken
        }, options);
      case 'guest':
        return await this.tokenCall({ grant_type: 'client_credentials' }, options);
      case 'authorization_code':
        return await this.tokenCall({ grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirectUri }, options);
    }
  }

  /** A limited token on a new anonymous session. */
  async anonymousToken(options?: CallOptions): Promise<TokenResponse> {
    return await this.token({ type: 'anonymous' }, options);
  }

  /** A limited token joined to the browser's session named by its session token. */
  async exchangeSessionToken(sessionToken: string, options?: CallOptions): Promise<TokenResponse> {
    return await this.token({ type: 'session_token', sessionToken }, options);
  }

  /** Logs a registered shopper in (confidential key); a session or limited token carries its cart over. */
  async passwordToken(login: { username: string; password: string; sessionToken?: string; limitedToken?: string }, options?: CallOptions): Promise<TokenResponse> {
    return await this.token({ type: 'password', ...login }, options);
  }

  /** A full token for the partner's shopper `externalReferenceId` (confidential key). */
  async externalShopperToken(shopper: { externalReferenceId: string; sessionToken?: string; limitedToken?: string }, options?: CallOptions): Promise<TokenResponse> {
    return await this.token({ type: 'external', ...shopper }, options);
  }

  /** A limited token on a new session for guest checkout (confidential key). */
  async guestToken(options?: CallOptions): Promise<TokenResponse> {
    return await this.token({ type: 'guest' }, options);
  }

  /**
   * Redeems the return code of the way back (confidential key, the one whose token started the web
   * checkout): a token pair on the shopper's session as it is now, full when the shopper signed in.
   * `redirectUri` is the returnUrl web-checkout used, without the added `order` and `code`. A used,
   * expired or foreign code is a SessionlinkError `invalid_grant`.
   */
  async authorizationCodeToken(code: string, redirectUri: string, options?: CallOptions): Promise<TokenResponse> {
    return await this.token({ type: 'authorization_code', code, redirectUri }, options);
  }

  /** Trades a refresh token (spent by this call) for a new pair on the same session. */
  async refreshToken(refreshToken: string, options?: CallOptions): Promise<TokenResponse> {
    return await this.tokenCall({ grant_type: 'refresh_token', refresh_token: refreshToken }, options);
  }

  /**
   * POST /v1/shoppers/token: a public key alone, joined to `sessionToken`'s session or on a new
   * one; the session gets an active cart. Any other key: 401 `invalid_client`.
   */
  async shopperToken(sessionToken?: string, options?: CallOptions): Promise<TokenResponse> {
    return await this.transport.json<TokenResponse>('/v1/shoppers/token', {
      method: 'POST', headers: { accept: 'application/json' }, form: { apiKey: this.clientId, sessionToken }, ...callOptions(options)
    });
  }

  /** GET /oauth20/access-tokens. */
  async tokenInfo(accessToken: string, options?: CallOptions): Promise<TokenInfo> {
    return await this.transport.json<TokenInfo>('/oauth20/access-tokens', { headers: { authorization: `Bearer ${accessToken}` }, ...callOptions(options) });
  }

  /** DELETE /oauth20/access-tokens: revokes the access token and its refresh token; the session lives on. */
  async revokeAccessToken(accessToken: string, options?: CallOptions): Promise<TokenInfo> {
    return await this.transport.json<TokenInfo>('/oauth20/access-tokens', { method: 'DELETE', headers: { authorization: `Bearer ${accessToken}` }, ...callOptions(options) });
  }

  /** RFC 7009 revocation of an access or refresh token issued to this client. */
  async revoke(token: string, hint?: RevokeHint, options?: CallOptions): Promise<void> {
    await this.transport.send('/oauth20/revoke', { method: 'POST', ...this.authenticated({ token, token_type_hint: hint }), ...callOptions(options) });
  }

  /** The Shopper API with one fixed access token, no refresh. */
  api(accessToken: string): ShopperApi {
    return new ShopperApi(this.transport, async (call) => await call(accessToken));
  }

  /** Runs a grant and holds its tokens in a self-refreshing session. */
  async startSession(grant: Grant, options: ShopperSessionOptions = {}, call?: CallOptions): Promise<ShopperSession> {
    const tokens = await this.token(grant, call);
    return this.session(tokens, { ...options, kind: kindOf(grant) });
  }

  /** A self-refreshing session over tokens obtained before (a fresh response or a stored TokenSet). */
  session(tokens: TokenResponse | TokenSet, options: ShopperSessionOptions & { kind?: TokenKind } = {}): ShopperSession {
    return new ShopperSession(this, tokens, options);
  }
}
