import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { anonymousGrant } from '../domain/grants.js';
import { ensureCartRow } from '../domain/carts.js';
import { secondsLeft, sessionAddress, touchSession } from '../domain/sessions.js';
import { shopperProfile } from '../domain/shoppers.js';
import { getApiKey, getSite } from '../domain/sites.js';
import { revokeAccessToken, validateAccessToken } from '../domain/tokens.js';
import { InvalidClient, MethodNotAllowed } from '../errors.js';
import { requireBearerToken } from '../http/bearer.js';
import { noteCorsSite } from '../http/cors.js';
import { param, readParams } from '../http/params.js';
import { negotiateFormat, oauthFormat, sendDocument } from '../http/render.js';
import { tokenDocument } from './token-document.js';
import { checkExchangeAllowed } from './grants/grant.js';
import { chargeJoin } from '../limits/session-budget.js';

export function tokenInfoRoutes(app: FastifyInstance, ctx: Ctx, storeDomain: string): void {
  // GET|POST /v1/shoppers/token: the Shopper API's token call, a public key and an optional session token.
  for (const url of ['/v1/shoppers/token', '/v1/shoppers/token.json', '/v1/shoppers/token.xml']) {
    app.route({
      method: ['GET', 'POST'],
      url,
      config: { surface: 'oauth' },
      handler: async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const params = readParams(request);
        const format = oauthFormat(request, params);
        const keyName = param(params, 'client_id');
        const key = keyName === undefined ? null : await getApiKey(ctx, keyName);
        if (key === null || key.type !== 'public') {
          throw new InvalidClient('A public apiKey is required');
        }
        const site = await getSite(ctx, key.site_id);
        if (site === null) {
          throw new InvalidClient('Unknown API key');
        }
        noteCorsSite(request, site.id);
        const sessionToken = param(params, 'session_token');
        if (sessionToken !== undefined) {
          checkExchangeAllowed(site, false);
          chargeJoin(ctx, site, sessionToken);
        } else {
          await app.budgets.admitGuest(request, reply, site);
        }
        const issued = await anonymousGrant(ctx, site, key, sessionToken === undefined ? { ip: request.ip } : { sessionToken, ip: request.ip });
        await ensureCartRow(ctx, issued.session);
        return sendDocument(reply, tokenDocument(issued, format), format);
      }
    });
  }

  // GET|DELETE /oauth20/access-tokens: what a token stands for; DELETE revokes it (the session lives on). Also with a
  // `.json` / `.xml` suffix, as Digital River documents it; the suffix picks the format.
  const infoRoute: RouteOptions = {
    method: ['GET', 'DELETE'],
    url: '/oauth20/access-tokens',
    config: { surface: 'oauth' },
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const params = readParams(request);
      const raw = requireBearerToken(request, params);
      const { token, session: found } = await validateAccessToken(ctx, raw);
      const tokenSite = await getSite(ctx, found.site_id);
      noteCorsSite(request, found.site_id);
      const session = tokenSite === null ? found : await touchSession(ctx, tokenSite, found, request.ip);
      let externalRef = '';
      if (session.shopper_id !== null) {
        const shopper = await shopperProfile(ctx, session.shopper_id);
        externalRef = shopper?.external_ref ?? '';
      }
      // The session's last recorded address (sign-in, idle-timeout touch), else the one that made it.
      const address = await sessionAddress(ctx, session.id);
      const document = {
        sessionId: session.id,
        userId: token.kind === 'full' && session.shopper_id !== null ? session.shopper_id : 'Anonymous',
        externalReferenceId: token.kind === 'full' ? externalRef : '',
        authenticated: token.kind === 'full' ? 'true' : 'false',
        locale: session.locale,
        currency: session.currency,
        cartId: session.cart_id,
        domain: storeDomain,
        clientIpAddress: address === null ? '' : address.client_ip ?? address.ip ?? '',
        expiresIn: secondsLeft(session, ctx.now())
      };
      if (request.method === 'DELETE') {
        await revokeAccessToken(ctx, token);
      }
      const format = negotiateFormat(request, params, 'token-info');
      return sendDocument(reply, format === 'xml' ? { token: document } : document, format);
    }
  };
  for (const url of ['/oauth20/access-tokens', '/oauth20/access-tokens.json', '/oauth20/access-tokens.xml']) {
    app.route({ ...infoRoute, url });
    app.route({
      method: ['POST', 'PUT', 'PATCH'],
      url,
      config: { surface: 'oauth' },
      handler: async () => {
        throw new MethodNotAllowed('GET, DELETE');
      }
    });
  }
}
