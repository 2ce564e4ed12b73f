import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { issueSessionToken } from '../domain/sessions.js';
import { allowedOriginsOf, getApiKey, getSite, type Site } from '../domain/sites.js';
import { tokenForSession } from '../domain/grants.js';
import { Forbidden, NotFound, printable, ServiceError } from '../errors.js';
import { browserSession, SESSION_COOKIE } from './browser-session.js';
import { noteCorsSite } from '../http/cors.js';
import { couldBeId, param, readParams } from '../http/params.js';
import { chargeJoinOfSession } from '../limits/session-budget.js';
import { jsonpCallback, sendDocument, sendJSONP, siteActionFormat } from '../http/render.js';
import { tokenDocument } from '../oauth/token-document.js';

function originOf(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * When a site lists allowedOrigins, a page of another origin may not include the
 * site action. Browsers say who is asking with Sec-Fetch-Site and the Referer (origin-only by
 * default). A request with neither (nor Origin) is a server-side caller, curl, an old browser
 * (no Sec-Fetch-Site) whose Referer a privacy setting stripped — or an attacker's page that
 * includes the action as a script with `referrerpolicy="no-referrer"`, read by such a browser.
 * Only the browser's session cookie makes the answer worth stealing, so such a request is served
 * when it carries no session cookie (its answer names a brand-new session, which the caller could
 * have made itself) and refused when it does. A server-side caller that keeps the cookie sends
 * the `Origin` of a listed page.
 */
function checkIncludingPage(request: FastifyRequest, site: Site, storeOrigin: string): void {
  const allowed = allowedOriginsOf(site);
  if (allowed === null || allowed.includes('*')) return;
  const fetchSite = request.headers['sec-fetch-site'];
  const referer = originOf(request.headers.referer) ?? originOf(request.headers.origin as string | undefined);
  if (fetchSite === 'same-origin' || fetchSite === 'none') return;
  if (referer === null) {
    if (fetchSite === undefined && request.cookies[SESSION_COOKIE] === undefined) return;
    throw new Forbidden('This page may not request a session token');
  }
  const self = `${request.protocol}://${request.host}`;
  if (referer === storeOrigin || referer === self || allowed.includes(referer)) return;
  throw new Forbidden('This page may not request a session token');
}

export function sessionTokenRoutes(app: FastifyInstance, ctx: Ctx, storeOrigin: string): void {
  app.get('/store/:siteId/:action', { config: { surface: 'site-action' } }, async (request, reply) => {
    const { siteId, action } = request.params as { siteId: string; action: string };
    reply.header('cache-control', 'no-store');
    if (action.toLowerCase() !== 'sessiontoken') {
      throw new NotFound('Unknown site action');
    }
    const params = readParams(request);
    const callback = jsonpCallback(params);
    const site = couldBeId(siteId) ? await getSite(ctx, siteId) : null;
    if (site === null) {
      throw new NotFound(`Unknown site "${printable(siteId)}"`);
    }
    noteCorsSite(request, site.id);
    checkIncludingPage(request, site, storeOrigin);
    const keyName = param(params, 'client_id');
    const key = keyName === undefined ? null : await getApiKey(ctx, keyName);
    if (keyName !== undefined && (key === null || key.site_id !== site.id || key.type !== 'public')) {
      // No `WWW-Authenticate: Basic` here: the key is a parameter, not Basic credentials, and that
      // challenge makes browsers hang a credentialed fetch on a login prompt.
      throw new ServiceError(401, 'invalid_client', 'The apiKey must be a public key of this site');
    }
    // A new anonymous session counts against the guest budgets (budgets.ts).
    const session = await browserSession(ctx, request, reply, site, async () => await app.budgets.admitGuest(request, reply, site));
    let document: Record<string, unknown>;
    if (key !== null) {
      // A browser whose session is signed in gets a limited token on it too: the storefront's
      // code keeps the shared cart, while the shopper's profile and ordering stay with the app's
      // full token (shopper-api.ts). Each mint counts against the session's join budget.
      chargeJoinOfSession(ctx, site, session);
      document = tokenDocument(await tokenForSession(ctx, site, key, session), 'json');
    } else {
      document = { session_token: await issueSessionToken(ctx, session) };
    }
    if (callback !== null) {
      return sendJSONP(reply, callback, document);
    }
    return sendDocument(reply, document, siteActionFormat(request, params));
  });
}
