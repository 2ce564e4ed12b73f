import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { signInBrowser } from '../domain/grants.js';
import { createBrowserSession, endSession, type Session } from '../domain/sessions.js';
import { shopperProfile } from '../domain/shoppers.js';
import { InvalidGrant, TooManyRequests, WrongPassword } from '../errors.js';
import type { Params } from '../http/params.js';
import type { Limiter } from '../limits/failures.js';
import { guarded, limitsOf, loginCounters } from '../limits/guard.js';
import { setSessionCookie } from '../sessions/browser-session.js';
import type { Account, PageState } from './templates/layout.js';

const MAX_USERNAME = 200;
const MAX_PASSWORD = 1024;

/** Who the page shows as signed in (a name, else the username), or the empty sign-in form. */
export async function accountOf(ctx: Ctx, session: Session): Promise<Account> {
  let signedInAs: string | null = null;
  if (session.shopper_id !== null) {
    const profile = await shopperProfile(ctx, session.shopper_id);
    const name = `${profile?.first_name ?? ''} ${profile?.last_name ?? ''}`.trim();
    signedInAs = name !== '' ? name : profile?.username ?? 'your account';
  }
  return { signedInAs, username: '', usernameError: null, passwordError: null };
}

/** A refused sign-in: the page again, at this status, with the form's errors (the username kept). */
export interface RefusedSignIn {
  status: number;
  account: Account;
}

/**
 * The sign-in form: the browser's session is re-keyed exactly as by the password grant (the
 * shared domain login, signInBrowser), under the same failure counters (per username and per
 * address), and the browser gets a new cookie value: the old one, the session tokens and the
 * app's tokens made before die. Returns null when signed in, else what to show.
 */
export async function signIn(ctx: Ctx, limiter: Limiter, request: FastifyRequest, reply: FastifyReply, state: PageState, params: Params): Promise<RefusedSignIn | null> {
  const username = params.get('username') ?? '';
  const password = params.get('password') ?? '';
  const refused = (status: number, usernameError: string | null, passwordError: string | null): RefusedSignIn =>
    ({ status, account: { signedInAs: null, username: username.slice(0, MAX_USERNAME), usernameError, passwordError } });
  if (username.trim() === '') return refused(400, 'Enter your username', null);
  if (username.length > MAX_USERNAME) return refused(400, `A username has at most ${MAX_USERNAME} characters`, null);
  if (password === '') return refused(400, null, 'Enter your password');
  if (password.length > MAX_PASSWORD) return refused(400, null, `A password has at most ${MAX_PASSWORD} characters`);
  const { site } = state;
  const limits = limitsOf(site);
  try {
    const { session, cookie } = await guarded(limiter, ctx.now(), limits.windowSeconds, loginCounters(site, username, request.ip),
      (err) => err instanceof WrongPassword, async () => await signInBrowser(ctx, site, username, password, state.session, request.ip));
    setSessionCookie(request, reply, site, cookie, session, ctx.now());
    return null;
  } catch (err) {
    if (err instanceof WrongPassword) return refused(400, null, 'Wrong username or password');
    if (err instanceof TooManyRequests) {
      for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
      const minutes = Math.max(1, Math.ceil(limits.windowSeconds / 60));
      return refused(429, null, `Too many failed sign-ins for this account or from this network. Sign-in is locked; try again in up to ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    }
    if (err instanceof InvalidGrant) {
      // Another sign-in re-keyed this session a moment before (a second tab): this cookie is dead.
      return refused(409, null, 'This checkout was just signed in elsewhere. Reload the page to continue.');
    }
    throw err;
  }
}

/**
 * Sign-out: the browser's session ends as an admin's end does (its cookie, session tokens and the
 * app's tokens answer "Session expired"; refresh tokens are revoked), and the browser continues on
 * a fresh anonymous session (a new guest session, so it counts against the guest budgets).
 */
export async function signOut(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, state: PageState): Promise<void> {
  if (state.session.shopper_id === null) return;
  const { site } = state;
  await request.server.budgets.admitGuest(request, reply, site);
  await endSession(ctx, state.session.id, 'signed_out');
  const { session, cookie } = await createBrowserSession(ctx, site, request.ip);
  setSessionCookie(request, reply, site, cookie, session, ctx.now());
}
