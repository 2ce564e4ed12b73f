import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { anonymousGrant, externalGrant, guestGrant, joinedGuestGrant, passwordGrant } from '../domain/grants.js';
import { getSite, type Site } from '../domain/sites.js';
import { refreshTokens, type IssuedTokens } from '../domain/tokens.js';
import { InvalidClient, InvalidRequest, MethodNotAllowed, UnauthorizedClient, UnsupportedGrantType, WrongPassword } from '../errors.js';
import { authenticateClient, type AuthenticatedClient } from './client-auth.js';
import { param, readParams, requireParam, type Params } from '../http/params.js';
import { oauthFormat, sendDocument } from '../http/render.js';
import { tokenDocument } from './token-document.js';
import { guarded, limitsOf } from '../limits/guard.js';
import { counterAddress } from '../http/client-ip.js';
import type { Limiter } from '../limits/failures.js';
import { noteCorsSite } from '../http/cors.js';
import { chargeJoin, chargeRefresh } from '../limits/session-budget.js';

export interface GrantEvent {
  grant: string;
  result: 'issued' | 'failed';
}

/** The session-token exchange rule: a site may demand the app's secret. */
export function checkExchangeAllowed(site: Site, confidential: boolean): void {
  if (site.session_token_exchange === 'confidential' && !confidential) {
    throw new UnauthorizedClient('This site exchanges session tokens only for a confidential client');
  }
}

function sessionRef(params: Params, request: FastifyRequest): { sessionToken?: string; limitedToken?: string; ip: string } {
  const ref: { sessionToken?: string; limitedToken?: string; ip: string } = { ip: request.ip };
  const sessionToken = param(params, 'session_token');
  const limitedToken = param(params, 'dr_limited_token');
  if (sessionToken !== undefined) ref.sessionToken = sessionToken;
  if (limitedToken !== undefined) ref.limitedToken = limitedToken;
  return ref;
}

async function passwordRow(ctx: Ctx, site: Site, client: AuthenticatedClient, params: Params, request: FastifyRequest, reply: FastifyReply, limiter: Limiter): Promise<IssuedTokens> {
  const username = param(params, 'username');
  const password = param(params, 'password');
  const ref = sessionRef(params, request);
  if (username === undefined && password === undefined) {
    if (ref.sessionToken !== undefined) {
      checkExchangeAllowed(site, client.confidential);
    }
    delete ref.limitedToken;
    if (ref.sessionToken === undefined) await request.server.budgets.admitGuest(request, reply, site, { confidentialClient: client.confidential });
    else chargeJoin(ctx, site, ref.sessionToken);
    return await anonymousGrant(ctx, site, client.key, ref);
  }
  if (username === undefined || password === undefined) {
    throw new InvalidRequest(`Missing required parameter "${username === undefined ? 'username' : 'password'}"`);
  }
  if (!client.confidential) {
    throw new UnauthorizedClient('Shopper login needs a confidential client');
  }
  // Credential guessing: failed logins are counted per username and per client address (an IPv6
  // client per /64). Only a wrong password counts: a login that lost a race to re-key the session,
  // or named an expired session token, had the right password.
  const limits = limitsOf(site);
  return await guarded(limiter, ctx.now(), limits.windowSeconds, [
    [`login-user:${site.id}:${username.toLowerCase()}`, limits.loginFailuresPerUsername],
    [`login-ip:${counterAddress(request.ip)}`, limits.loginFailuresPerIP]
  ], (err) => err instanceof WrongPassword, async () => await passwordGrant(ctx, site, client.key, username, password, ref));
}

async function clientCredentialsRow(ctx: Ctx, site: Site, client: AuthenticatedClient, params: Params, request: FastifyRequest, reply: FastifyReply): Promise<IssuedTokens> {
  if (!client.confidential) {
    throw new UnauthorizedClient('client_credentials needs a confidential client');
  }
  const externalRef = param(params, 'dr_external_reference_id');
  if (externalRef === undefined) {
    const ref = sessionRef(params, request);
    if (ref.sessionToken !== undefined || ref.limitedToken !== undefined) {
      return await joinedGuestGrant(ctx, site, client.key, ref);
    }
    await request.server.budgets.admitGuest(request, reply, site, { confidentialClient: true });
    return await guestGrant(ctx, site, client.key, request.ip);
  }
  if (externalRef.length > 255) {
    throw new InvalidRequest('dr_external_reference_id is too long');
  }
  return await externalGrant(ctx, site, client.key, externalRef, sessionRef(params, request));
}

/** Runs one token request: authenticate the client, then the grant. */
export async function runTokenRequest(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, params: Params, limiter: Limiter, onEvent?: (event: GrantEvent) => void): Promise<IssuedTokens> {
  const client = await authenticateClient(ctx, request, params, limiter, (site) => noteCorsSite(request, site.id));
  const site = await getSite(ctx, client.key.site_id);
  if (site === null) {
    throw new InvalidClient('Unknown API key');
  }
  noteCorsSite(request, site.id);
  const grantType = requireParam(params, 'grant_type');
  let grant = 'unsupported';
  try {
    let issued: IssuedTokens;
    switch (grantType) {
      case 'password':
        grant = 'password';
        issued = await passwordRow(ctx, site, client, params, request, reply, limiter);
        break;
      case 'client_credentials':
        grant = 'client_credentials';
        issued = await clientCredentialsRow(ctx, site, client, params, request, reply);
        break;
      case 'refresh_token':
        grant = 'refresh_token';
        // RFC 6749 §6: a confidential client's refresh token is refreshed with its secret. A
        // Bearer access token stands only for the key's public credentials.
        if (client.key.type === 'confidential' && !client.confidential) {
          throw new InvalidClient('A confidential key refreshes its tokens only with its secret');
        }
        issued = await refreshTokens(ctx, site, client.key, requireParam(params, 'refresh_token'),
          (sessionId) => chargeRefresh(ctx, site, sessionId));
        break;
      default:
        throw new UnsupportedGrantType(grantType);
    }
    onEvent?.({ grant, result: 'issued' });
    return issued;
  } catch (err) {
    onEvent?.({ grant, result: 'failed' });
    throw err;
  }
}

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

export function tokenRoutes(app: FastifyInstance, ctx: Ctx, limiter: Limiter, onEvent?: (event: GrantEvent) => void): void {
  for (const url of ['/oauth20/token', '/oauth20/token.json', '/oauth20/token.xml']) {
    app.post(url, { config: { surface: 'oauth' } }, async (request, reply) => {
      noStore(reply);
      const params = readParams(request);
      const format = oauthFormat(request, params);
      const issued = await runTokenRequest(ctx, request, reply, params, limiter, onEvent);
      return sendDocument(reply, tokenDocument(issued, format), format);
    });
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH'],
      url,
      config: { surface: 'oauth' },
      handler: async () => {
        throw new MethodNotAllowed('POST');
      }
    });
  }
}
