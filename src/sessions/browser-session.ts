import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { createBrowserSession, mintCookie, resolveHandle, secondsLeft, touchSession, type Session } from '../domain/sessions.js';
import type { Site } from '../domain/sites.js';

export const SESSION_COOKIE = 'SLSESSION';

/**
 * Sets the browser's session cookie for a site (the site action): HttpOnly, scoped to the site's
 * store path, `SameSite=None; Secure` over HTTPS (so the JSONP call from the storefront's origin
 * carries it), `Lax` over plain HTTP where browsers refuse `None` without `Secure`.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, site: Site, value: string, session: Session, now: number): void {
  const secure = request.protocol === 'https';
  reply.setCookie(SESSION_COOKIE, value, {
    path: `/store/${site.id}`,
    httpOnly: true,
    secure,
    sameSite: secure ? 'none' : 'lax',
    maxAge: secondsLeft(session, now)
  });
}

/** The live session named by the request's cookie, or null. */
export async function cookieSession(ctx: Ctx, request: FastifyRequest, site: Site): Promise<Session | null> {
  const value = request.cookies[SESSION_COOKIE];
  if (value === undefined || !/^[0-9a-f]{76}$/.test(value)) {
    return null;
  }
  const resolved = await resolveHandle(ctx, 'cookie', value);
  if (resolved === null || resolved.status !== 'live' || resolved.session.site_id !== site.id) {
    return null;
  }
  return await touchSession(ctx, site, resolved.session, request.ip);
}

/** The browser's session: the one its cookie names, or a fresh one with a new cookie set. */
export async function browserSession(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, site: Site, beforeCreate?: () => Promise<void>): Promise<Session> {
  const existing = await cookieSession(ctx, request, site);
  if (existing !== null) {
    return existing;
  }
  if (beforeCreate !== undefined) await beforeCreate();
  const { session, cookie } = await createBrowserSession(ctx, site, request.ip);
  setSessionCookie(request, reply, site, cookie, session, ctx.now());
  return session;
}

/** Points the browser's cookie at a session it was handed (handoff codes). */
export async function attachBrowser(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, site: Site, session: Session): Promise<void> {
  const cookie = await mintCookie(ctx, session);
  setSessionCookie(request, reply, site, cookie, session, ctx.now());
}
