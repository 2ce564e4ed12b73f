import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { anonymousGrant, externalGrant, guestGrant, joinedGuestGrant, passwordGrant } from '../domain/grants.js';
import { getSite, type Site } from '../domain/sites.js';
import { refreshTokens, type IssuedTokens } from '../domain/tokens.js';
import { InvalidClient, InvalidRequest, MethodNotAllowed, UnauthorizedClient, UnsupportedGrantType } from '../errors.js';
import { authenticateClient, type AuthenticatedClient } from '../http/client-auth.js';
import { param, readParams, requireParam, type Params } from '../http/params.js';
import { oauthFormat, sendDocument, tokenDocument } from '../http/render.js';
import { guarded, limitsOf, DEFAULT_LIMITS } from '../http/guard.js';
import type { Limiter } from '../http/limiter.js';
import { noteCorsSite } from '../http/cors.js';
import { getApiKey } from '../domain/sites.js';

export interface GrantEvent {
  grant: string;
  result: 'issued' | 'failed';
}

/** CONTRACT §3.2, the session-token exchange rule: a site may demand the app's secret. */
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
    return await anonymousGrant(ctx, site, client.key, ref);
  }
  if (username === undefined || password === undefined) {
    throw new InvalidRequest(`Missing required parameter "${username === undefined ? 'username' : 'password'}"`);
  }
  if (!client.confidential) {
    throw new UnauthorizedClient('Shopper login needs a confidential client');
  }
  // Credential guessing: failed logins are counted per username and per client IP.
  const limits = limitsOf(site);
  return await guarded(limiter, ctx.now(), limits.windowSeconds, [
    [`login-user:${site.id}:${username.toLowerCase()}`, limits.loginFailuresPerUsername],
    [`login-ip:${request.ip}`, limits.loginFailuresPerIP]
  ], 'invalid_grant', async () => await passwordGrant(ctx, site, client.key, username, password, ref));
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

/** Runs one token request: authenticate the client, then the grant row (CONTRACT §3.2). */
/** Client authentication with failures counted per presented key and per client IP. */
async function guardedClientAuth(ctx: Ctx, request: FastifyRequest, params: Params, limiter: Limiter): Promise<AuthenticatedClient> {
  const presented = presentedKey(request, params);
  const key = presented === null ? null : await getApiKey(ctx, presented);
  const site = key === null ? null : await getSite(ctx, key.site_id);
  if (site !== null) noteCorsSite(request, site.id);
  const limits = site === null ? DEFAULT_LIMITS : limitsOf(site);
  const counters: Array<[string, number]> = [[`client-ip:${request.ip}`, limits.clientAuthFailuresPerIP]];
  if (key !== null) counters.push([`client-key:${key.key}`, limits.clientAuthFailuresPerKey]);
  return await guarded(limiter, ctx.now(), limits.windowSeconds, counters, 'invalid_client', async () => await authenticateClient(ctx, request, params));
}

function presentedKey(request: FastifyRequest, params: Params): string | null {
  const header = request.headers.authorization;
  if (header !== undefined && /^basic\s/i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 ? decoded.slice(0, colon).slice(0, 128) : null;
  }
  return param(params, 'client_id')?.slice(0, 128) ?? null;
}

export async function runTokenRequest(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, params: Params, limiter: Limiter, onEvent?: (event: GrantEvent) => void): Promise<IssuedTokens> {
  const client = await guardedClientAuth(ctx, request, params, limiter);
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
        issued = await refreshTokens(ctx, site, client.key, requireParam(params, 'refresh_token'));
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
