import type { FastifyReply, FastifyRequest } from 'fastify';
import { consumeHandoff, peekHandoff } from '../domain/cart.js';
import type { Ctx } from '../domain/context.js';
import { adoptHandoffReturnOf } from '../domain/returns.js';
import type { Site } from '../domain/sites.js';
import { attachBrowser, cookieSession } from '../sessions/browser-session.js';
import { sendPage } from '../http/html.js';
import { csrfTokenOf } from './csrf.js';
import { switchPage } from './templates/switch.js';

export const SPENT_HANDOFF = 'That checkout link has expired or was already used. You are looking at your own cart in this browser.';

/** The same URL without `handoff`, on the configured public store origin. */
function withoutHandoff(store: string, request: FastifyRequest): string {
  const url = new URL(request.url, 'http://x');
  url.searchParams.delete('handoff');
  const query = url.searchParams.toString();
  return `${store}${url.pathname}${query === '' ? '' : `?${query}`}`;
}

/**
 * A GET with `?handoff=`: the code moves this browser onto the session it names (once) and
 * redirects to the same page without it. A handoff never silently takes a signed-in browser off
 * its session: a link from anywhere could otherwise sign the shopper out and into someone else's
 * checkout. The browser is asked first (a CSRF-protected form, switchPage); the same shopper's
 * sessions switch freely. Returns the reply when it answered, else null (a spent or unknown code:
 * the page is shown with SPENT_HANDOFF as its notice).
 */
export async function followHandoff(ctx: Ctx, store: string, request: FastifyRequest, reply: FastifyReply, site: Site, locale: string, page: string, code: string): Promise<FastifyReply | null> {
  const current = await cookieSession(ctx, request, site);
  if (current !== null && current.shopper_id !== null) {
    const pending = await peekHandoff(ctx, site.id, code);
    if (pending !== null && pending.id !== current.id && pending.shopper_id !== current.shopper_id) {
      const state = { site, locale, session: current, csrf: csrfTokenOf(ctx, current), notice: null, error: null };
      return sendPage(reply, switchPage(state, page, code));
    }
  }
  const handed = await consumeHandoff(ctx, site.id, code);
  if (handed === null) return null;
  await adoptHandoffReturnOf(ctx, site, code, handed);
  await attachBrowser(ctx, request, reply, site, handed);
  return reply.redirect(withoutHandoff(store, request), 302);
}

/** The signed-in browser's own answer to switchPage: only now is the code used. False when it was spent. */
export async function switchSession(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, site: Site, code: string): Promise<boolean> {
  const handed = await consumeHandoff(ctx, site.id, code);
  if (handed === null) return false;
  await adoptHandoffReturnOf(ctx, site, code, handed);
  await attachBrowser(ctx, request, reply, site, handed);
  return true;
}
