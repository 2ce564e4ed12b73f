import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { allowedOriginsOf, getApiKey, getSite } from '../domain/sites.js';
import { param, readParams } from './params.js';

/**
 * CORS per site (the seed file's `allowedOrigins`) on the OAuth routes, /v1/shoppers/token and the
 * Shopper API. No list = no CORS headers; a listed origin is echoed with `Vary: Origin`; `"*"`
 * answers `*` and never allows credentials. Only the site action, the one route a cookie
 * matters to, allows credentials, and only for an explicitly listed origin. An Origin that no list
 * names is never reflected.
 *
 * The request's site is whatever the handler already resolved (path, client credentials, the
 * validated token), noted with noteCorsSite, so CORS costs no lookup of its own.
 */
const notedSites = new WeakMap<FastifyRequest, string>();

export function noteCorsSite(request: FastifyRequest, siteId: string): void {
  notedSites.set(request, siteId);
}

const SITE_ACTION = /^\/store\/([^/?]+)\/sessiontoken(?:[/?]|$)/i;
const API = /^\/(?:oauth20|v1\/shoppers)\//;
const EXPOSED = 'Retry-After, WWW-Authenticate, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, ETag';
const PREFLIGHT_MAX_AGE = '600';

function addVary(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  if (vary === undefined) reply.header('vary', 'Origin');
  else if (!/\borigin\b/i.test(String(vary))) reply.header('vary', `${String(vary)}, Origin`);
}

/** Sets the CORS headers for `origin` given a site's list; returns whether the origin was allowed. */
function allow(reply: FastifyReply, origins: string[] | null, origin: string, credentials: boolean): boolean {
  if (origins === null) return false;
  addVary(reply);
  if (origins.includes(origin)) {
    reply.header('access-control-allow-origin', origin);
    if (credentials) reply.header('access-control-allow-credentials', 'true');
  } else if (origins.includes('*')) {
    reply.header('access-control-allow-origin', '*');
  } else {
    return false;
  }
  return true;
}

const ALL_SITES_MS = 5000;

export function installCors(app: FastifyInstance, ctx: Ctx): void {
  let allOrigins: { at: number; list: string[] } | null = null;

  /** Every origin any site lists, for Shopper API preflights that name no site. */
  async function anySiteOrigins(): Promise<string[]> {
    const now = Date.now();
    if (allOrigins === null || now - allOrigins.at > ALL_SITES_MS) {
      const rows = await ctx.db.selectFrom('sites').select('allowed_origins').where('allowed_origins', 'is not', null).execute();
      const list = rows.flatMap((r) => {
        const parsed = JSON.parse(r.allowed_origins as string) as unknown;
        return Array.isArray(parsed) ? parsed.filter((o): o is string => typeof o === 'string') : [];
      });
      allOrigins = { at: now, list };
    }
    return allOrigins.list;
  }

  // Callback-style, so the common case (no Origin: a server or curl) costs no promise.
  app.addHook('onSend', (request, reply, payload, done) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || request.method === 'OPTIONS') return done(null, payload);
    corsHeaders(request, reply, origin).then(() => done(null, payload), (err: Error) => done(err));
  });

  async function corsHeaders(request: FastifyRequest, reply: FastifyReply, origin: string): Promise<void> {
    const siteAction = SITE_ACTION.test(request.url);
    if (!siteAction && !API.test(request.url)) return;
    const siteId = notedSites.get(request);
    let origins: string[] | null = null;
    if (siteId !== undefined) {
      const site = await getSite(ctx, siteId);
      origins = site === null ? null : allowedOriginsOf(site);
    } else if (!siteAction && reply.statusCode >= 400) {
      // An error before any site was known (a forged or expired token, an unknown key): an app
      // on any site's listed origin may read it, e.g. to see its 401 and get a new token.
      origins = await anySiteOrigins();
    }
    if (allow(reply, origins, origin, siteAction)) {
      reply.header('access-control-expose-headers', EXPOSED);
    }
  }

  async function preflight(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    reply.header('allow', 'GET, POST, DELETE, OPTIONS');
    const origin = request.headers.origin;
    const method = request.headers['access-control-request-method'];
    if (typeof origin !== 'string' || typeof method !== 'string') return reply.code(204).send();
    const siteAction = SITE_ACTION.exec(request.url);
    let origins: string[] | null = null;
    if (siteAction !== null) {
      const site = await getSite(ctx, decodeURIComponent(siteAction[1] as string));
      origins = site === null ? null : allowedOriginsOf(site);
    } else if (!request.url.startsWith('/store/')) {
      let keyName: string | undefined;
      try {
        keyName = param(readParams(request), 'client_id');
      } catch {
        keyName = undefined;
      }
      const key = keyName === undefined ? null : await getApiKey(ctx, keyName.slice(0, 128));
      const site = key === null ? null : await getSite(ctx, key.site_id);
      if (site !== null) {
        origins = allowedOriginsOf(site);
      } else if (keyName === undefined && request.url.startsWith('/v1/shoppers/me')) {
        origins = await anySiteOrigins();
      }
    }
    if (allow(reply, origins, origin, siteAction !== null)) {
      reply.header('access-control-allow-methods', 'GET, POST, DELETE');
      reply.header('access-control-allow-headers', 'Authorization, Content-Type, If-Match, Accept');
      reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
    }
    return reply.code(204).send();
  }

  for (const url of ['/oauth20/*', '/v1/shoppers/*', '/store/:siteId/:action']) {
    // Preflights are CORS plumbing, not API: hidden from the OpenAPI document.
    app.options(url, { schema: { hide: true }, config: { surface: url.startsWith('/v1/shoppers/me') ? 'shopper' : 'oauth' } }, preflight);
  }
}
