import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { param, readParams } from './params.js';

/**
 * CORS. The site action, the one route a cookie matters to, sends credentialed CORS
 * only to an origin its site lists (`"*"` in the list: `*`, never with credentials). The Bearer
 * routes (Shopper API, registration, the token endpoint, token info, revocation) carry no cookies
 * and answer any origin with `Access-Control-Allow-Origin: *`, as Digital River documents, unless
 * the request's site sets `allowedOrigins`: then only a listed origin is echoed (with
 * `Vary: Origin`). Introspection is for confidential clients (servers) and sends no CORS headers.
 *
 * The request's site is whatever the handler already resolved (path, client credentials, the
 * validated token), noted with noteCorsSite, so CORS costs no lookup of its own. Where no site is
 * known (a preflight, which carries no token; an error before the token was read), the answer is
 * what some site would allow: `*` while any site keeps the default, else the union of the lists.
 * A preflight therefore lets a request through that its site then narrows: a browser reads the
 * actual answer only when the token's site allows the origin.
 */
const notedSites = new WeakMap<FastifyRequest, string>();

export function noteCorsSite(request: FastifyRequest, siteId: string): void {
  notedSites.set(request, siteId);
}

const SITE_ACTION = /^\/store\/([^/?]+)\/sessiontoken(?:[/?]|$)/i;
const API = /^\/(?:oauth20\/|v1\/shoppers(?:[/.?]|$))/;
const NO_CORS = /^\/oauth20\/introspect(?:[/?]|$)/;
const EXPOSED = 'Retry-After, WWW-Authenticate, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, ETag';
const PREFLIGHT_MAX_AGE = '600';

function addVary(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  if (vary === undefined) reply.header('vary', 'Origin');
  else if (!/\borigin\b/i.test(String(vary))) reply.header('vary', `${String(vary)}, Origin`);
}

/**
 * Sets the CORS headers for `origin` given a list of origins; returns whether the origin was
 * allowed. A listed origin is echoed (with credentials only where asked); `"*"` in the list, or
 * `star` (a Bearer route whose site keeps the default), answers `*`.
 */
function allow(reply: FastifyReply, origins: string[] | null, origin: string, credentials: boolean, star = false): boolean {
  if (origins === null && !star) return false;
  addVary(reply);
  if (origins !== null && origins.includes(origin)) {
    reply.header('access-control-allow-origin', origin);
    if (credentials) reply.header('access-control-allow-credentials', 'true');
  } else if (star || origins?.includes('*') === true) {
    reply.header('access-control-allow-origin', '*');
  } else {
    return false;
  }
  return true;
}

const ALL_SITES_MS = 5000;

/**
 * Where CORS learns each site's allowed origins (the app passes lookups over the sites, so this
 * plumbing reads no table): `siteOrigins` answers undefined for no such site, null for a site
 * that lists none (any origin); `keySite` names the site of an API key; `allSitesOrigins` is
 * every site's raw `allowed_origins` column (JSON, or null for none).
 */
export interface OriginSource {
  siteOrigins(siteId: string): Promise<string[] | null | undefined>;
  keySite(keyName: string): Promise<string | null>;
  allSitesOrigins(): Promise<Array<string | null>>;
}

/**
 * What CORS adds to a response on its way out, or null when nothing is to be added (no `Origin`,
 * or a preflight, answered by its own route). The app calls it from its one onSend hook.
 */
export type CorsOnSend = (request: FastifyRequest, reply: FastifyReply) => Promise<void> | null;

/** Registers the preflight routes; returns the onSend step the app runs for every response. */
export function installCors(app: FastifyInstance, source: OriginSource): CorsOnSend {
  let allOrigins: { at: number; list: string[]; open: boolean } | null = null;

  /**
   * What a request that names no site may get: every origin any site lists, and `open` while any
   * site has no list (it answers `*`). Read at most every ALL_SITES_MS.
   */
  async function anySiteOrigins(): Promise<{ list: string[]; open: boolean }> {
    const now = Date.now();
    if (allOrigins === null || now - allOrigins.at > ALL_SITES_MS) {
      const columns = await source.allSitesOrigins();
      const list: string[] = [];
      let open = false;
      for (const column of columns) {
        const parsed = column === null ? null : JSON.parse(column) as unknown;
        if (Array.isArray(parsed)) list.push(...parsed.filter((o): o is string => typeof o === 'string'));
        else open = true;
      }
      allOrigins = { at: now, list, open };
    }
    return allOrigins;
  }

  // The common case (no Origin: a server or curl) costs no promise.
  const onSend: CorsOnSend = (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || request.method === 'OPTIONS') return null;
    return corsHeaders(request, reply, origin);
  };

  async function corsHeaders(request: FastifyRequest, reply: FastifyReply, origin: string): Promise<void> {
    const siteAction = SITE_ACTION.test(request.url);
    if (!siteAction && (!API.test(request.url) || NO_CORS.test(request.url))) return;
    const siteId = notedSites.get(request);
    let origins: string[] | null = null;
    let star = false;
    if (siteId !== undefined) {
      const found = await source.siteOrigins(siteId);
      origins = found ?? null;
      star = !siteAction && found === null;
    } else if (!siteAction) {
      // No site known (an error before the token or key was read, or a route that names none).
      ({ list: origins, open: star } = await anySiteOrigins());
    }
    if (allow(reply, origins, origin, siteAction, star)) {
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
    let star = false;
    if (siteAction !== null) {
      origins = (await source.siteOrigins(decodeURIComponent(siteAction[1] as string))) ?? null;
    } else if (!request.url.startsWith('/store/') && !NO_CORS.test(request.url)) {
      // A preflight carries no token: the site is known only from an apiKey/client_id in the URL.
      let keyName: string | undefined;
      try {
        keyName = param(readParams(request), 'client_id');
      } catch {
        keyName = undefined;
      }
      const siteId = keyName === undefined ? null : await source.keySite(keyName.slice(0, 128));
      const found = siteId === null ? undefined : await source.siteOrigins(siteId);
      if (found !== undefined) {
        origins = found;
        star = found === null;
      } else {
        ({ list: origins, open: star } = await anySiteOrigins());
      }
    }
    if (allow(reply, origins, origin, siteAction !== null, star)) {
      reply.header('access-control-allow-methods', 'GET, POST, DELETE');
      reply.header('access-control-allow-headers', 'Authorization, Content-Type, If-Match, Accept');
      reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
    }
    return reply.code(204).send();
  }

  for (const url of ['/oauth20/*', '/v1/shoppers', '/v1/shoppers.json', '/v1/shoppers.xml', '/v1/shoppers/*', '/store/:siteId/:action']) {
    // Preflights are CORS plumbing, not API: hidden from the OpenAPI document.
    app.options(url, { schema: { hide: true }, config: { surface: url.startsWith('/v1/shoppers/me') ? 'shopper' : 'oauth' } }, preflight);
  }
  return onSend;
}
