import { InvalidGrant, LimitedTokenInvalid, ServiceError, TOKEN_REASONS, WrongPassword } from '../errors.js';
import { randomHex, verifyPassword } from '../crypto.js';
import type { Ctx } from './context.js';
import type { Store } from '../store/port.js';
import { attachShopperCart } from './carts.js';
import { emitSignedIn } from './events.js';
import { createSession, getSession, mintCookie, rekeySession, resolveHandle, type Resolved, type Session } from './sessions.js';
import type { ApiKey, Site } from './sites.js';
import { exchangeSessionTokenAtOnce, findAccessToken, issueOnNewSession, issueOnSession, issueTokens, validateAccessToken, type IssuedTokens } from './tokens.js';

export interface SessionRef {
  sessionToken?: string | undefined;
  limitedToken?: string | undefined;
  ip?: string | null;
}


/** The live session a session token names, on this site; otherwise invalid_grant. */
export async function sessionOfSessionToken(ctx: Ctx, site: Site, sessionToken: string): Promise<Session> {
  return liveSessionOf(site, sessionToken.length === 32 ? await resolveHandle(ctx, 'session_token', sessionToken.toUpperCase()) : null);
}

function liveSessionOf(site: Site, resolved: Resolved | null): Session {
  if (resolved === null || resolved.session.site_id !== site.id) {
    throw new InvalidGrant('Unknown session token');
  }
  if (resolved.status !== 'live') {
    throw new InvalidGrant(TOKEN_REASONS[resolved.status]);
  }
  return resolved.session;
}

async function sessionOfLimitedToken(ctx: Ctx, site: Site, limitedToken: string): Promise<Session> {
  try {
    const { token, session } = await validateAccessToken(ctx, limitedToken);
    if (token.site_id !== site.id || token.kind !== 'limited') {
      throw new LimitedTokenInvalid();
    }
    return session;
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'invalid_token') {
      throw new LimitedTokenInvalid(`The dr_limited_token is not valid: ${err.description}`);
    }
    throw err;
  }
}

async function referencedSession(ctx: Ctx, site: Site, ref: SessionRef): Promise<Session | null> {
  if (ref.sessionToken !== undefined) {
    return await sessionOfSessionToken(ctx, site, ref.sessionToken);
  }
  if (ref.limitedToken !== undefined) {
    return await sessionOfLimitedToken(ctx, site, ref.limitedToken);
  }
  return null;
}

/** The session a grant that proves its shopper names, and whether the handle died at a re-keying. */
interface NamedSession {
  session: Session;
  /** The handle died when the session was re-keyed at a login: usable only by that shopper's proof. */
  rekeyed: boolean;
}

/**
 * Renewal after login: a grant that itself proves the shopper (username + password, or client_credentials
 * with dr_external_reference_id) may name the session by a handle that died at that same shopper's
 * re-keying: Digital River's plugin keeps its pre-login session token and renews with it. A re-key
 * leaves the session's id in place and records its shopper, so the handle's session row says whose
 * login killed it. Unknown, expired, revoked and other-site handles fail as for every grant.
 */
async function namedByProofGrant(ctx: Ctx, site: Site, ref: SessionRef): Promise<NamedSession | null> {
  if (ref.sessionToken !== undefined) {
    const resolved = ref.sessionToken.length === 32 ? await resolveHandle(ctx, 'session_token', ref.sessionToken.toUpperCase()) : null;
    if (resolved?.status === 'rekeyed' && resolved.session.site_id === site.id && resolved.session.expires_at > ctx.now()) {
      return { session: resolved.session, rekeyed: true };
    }
    return { session: liveSessionOf(site, resolved), rekeyed: false };
  }
  if (ref.limitedToken !== undefined) {
    try {
      return { session: await sessionOfLimitedToken(ctx, site, ref.limitedToken), rekeyed: false };
    } catch (err) {
      const row = err instanceof LimitedTokenInvalid && err.description.endsWith(TOKEN_REASONS.rekeyed) ? await findAccessToken(ctx, ref.limitedToken) : null;
      const session = row === null ? null : await getSession(ctx.store, row.session_id);
      if (row === null || session === null || row.site_id !== site.id || row.kind !== 'limited' || row.revoked_reason !== null || session.expires_at <= ctx.now()) throw err;
      return { session, rekeyed: true };
    }
  }
  return null;
}

/** A handle that died at a re-keying joins only the shopper whose login re-keyed it; others hear "re-keyed". */
function checkRekeyedFor(named: NamedSession | null, ref: SessionRef, shopperId: string | undefined): void {
  if (named === null || !named.rekeyed || (shopperId !== undefined && named.session.shopper_id === shopperId)) return;
  if (ref.sessionToken !== undefined) throw new InvalidGrant(TOKEN_REASONS.rekeyed);
  throw new LimitedTokenInvalid(`The dr_limited_token is not valid: ${TOKEN_REASONS.rekeyed}`);
}

/**
 * `password` grant without credentials, `/v1/shoppers/token`, the site action with `apiKey`:
 * a limited token joined to the named session, or on a new one.
 */
export async function anonymousGrant(ctx: Ctx, site: Site, key: ApiKey, ref: SessionRef): Promise<IssuedTokens> {
  if (ref.sessionToken !== undefined && ref.sessionToken.length === 32) {
    // Where the store can (PostgreSQL), one statement instead of a read, then a write: the pair is
    // stored only if the session is live on this site, which liveSessionOf then confirms (or explains).
    const exchanged = await exchangeSessionTokenAtOnce(ctx, site, key, ref.sessionToken.toUpperCase(), 'limited');
    if (exchanged !== null) {
      liveSessionOf(site, exchanged.resolved);
      if (exchanged.issued !== null) return exchanged.issued;
    }
  }
  const existing = await referencedSession(ctx, site, ref);
  if (existing !== null) return await issueOnSession(ctx, site, key, existing, 'limited');
  return await issueOnNewSession(ctx, site, key, { ip: ref.ip ?? null }, 'limited');
}

/** A limited token for a session the caller already holds (the site action's cookie). */
export async function tokenForSession(ctx: Ctx, site: Site, key: ApiKey, session: Session): Promise<IssuedTokens> {
  return await issueOnSession(ctx, site, key, session, 'limited');
}

/** Decodes a password that may be sent plain or base64 (DR's own plugin sends base64). */
export function passwordCandidates(password: string): string[] {
  const candidates = [password];
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(password) && password.length % 4 === 0) {
    const decoded = Buffer.from(password, 'base64').toString('utf8');
    if (decoded.length > 0 && !decoded.includes('\uFFFD') && !/[\x00-\x1F]/.test(decoded) && decoded !== password) {
      candidates.push(decoded);
    }
  }
  return candidates;
}

/** The session as stored now, inside a login's transaction; gone means it expired and was swept. */
async function mustGet(store: Store, id: string): Promise<Session> {
  const session = await getSession(store, id);
  if (session === null) throw new InvalidGrant(TOKEN_REASONS.expired);
  return session;
}

/**
 * The one login path (password grant, external grant, hosted-page sign-in): re-keys the named
 * session for the shopper and carries its cart, then `finish` hands out the new handles (a token
 * pair, or the browser's new cookie) in the same transaction.
 */
async function logInOnSession<T>(ctx: Ctx, site: Site, named: NamedSession | null, shopperId: string, ip: string | null, finish: (trx: Store, session: Session) => Promise<T>): Promise<T> {
  const existing = named?.session ?? null;
  return await ctx.store.transaction(async (trx) => {
    let session: Session;
    if (named !== null && named.rekeyed) {
      // The shopper's own session, already signed in: join it as it is now (no second re-key).
      const fresh = await mustGet(trx, named.session.id);
      if (fresh.shopper_id !== shopperId || fresh.expires_at <= ctx.now()) {
        throw new InvalidGrant(TOKEN_REASONS.rekeyed);
      }
      return await finish(trx, fresh);
    }
    if (existing !== null && (existing.shopper_id === null || existing.shopper_id === shopperId)) {
      // Re-read inside the transaction: a concurrent login may have re-keyed it already.
      const fresh = await mustGet(trx, existing.id);
      const rekeyed = fresh.epoch === existing.epoch ? await rekeySession(ctx, trx, fresh, shopperId, ip) : null;
      if (rekeyed === null) {
        // A concurrent login re-keyed it first. Its own shopper (proved by this grant) joins the
        // session as that login left it; anyone else's handle is dead.
        const now = await mustGet(trx, existing.id);
        if (now.shopper_id !== shopperId || now.expires_at <= ctx.now()) {
          throw new InvalidGrant(TOKEN_REASONS.rekeyed);
        }
        return await finish(trx, now);
      }
      session = rekeyed;
    } else {
      session = await createSession(ctx, trx, site, { shopperId, ip });
      await emitSignedIn(ctx, trx, session, shopperId, false);
    }
    await attachShopperCart(ctx, trx, session, shopperId);
    return await finish(trx, session);
  });
}

/** `password` grant with username and password (confidential keys only; checked by the caller). */
export async function passwordGrant(ctx: Ctx, site: Site, key: ApiKey, username: string, password: string, ref: SessionRef): Promise<IssuedTokens> {
  const shopperId = await verifiedShopper(ctx, site, username, password);
  const named = await namedByProofGrant(ctx, site, ref);
  checkRekeyedFor(named, ref, shopperId);
  return await logInOnSession(ctx, site, named, shopperId, ref.ip ?? null, async (trx, session) => await issueTokens(ctx, trx, site, key, session, 'full'));
}

/**
 * Sign-in on the hosted pages: the browser's live session is re-keyed exactly as by the password
 * grant (its old cookie, session tokens and tokens die; the cart is carried) and the browser gets
 * a new cookie value on it. WrongPassword as for the grant.
 */
export async function signInBrowser(ctx: Ctx, site: Site, username: string, password: string, browser: Session, ip: string | null): Promise<{ session: Session; cookie: string }> {
  const shopperId = await verifiedShopper(ctx, site, username, password);
  return await logInOnSession(ctx, site, { session: browser, rekeyed: false }, shopperId, ip, async (trx, session) => ({ session, cookie: await mintCookie(ctx, session, trx) }));
}

/** The shopper a username and password prove, or WrongPassword (plain or base64 passwords). */
async function verifiedShopper(ctx: Ctx, site: Site, username: string, password: string): Promise<string> {
  const shopper = await ctx.store.shoppers.byUsername(site.id, username);
  let ok = false;
  for (const candidate of passwordCandidates(password)) {
    // verifyPassword runs scrypt even for an unknown user, so timing does not reveal usernames.
    if (await verifyPassword(candidate, shopper?.password_hash ?? null)) {
      ok = true;
      break;
    }
  }
  if (!ok || shopper === null) {
    throw new WrongPassword();
  }
  return shopper.id;
}

/** `client_credentials` with `dr_external_reference_id`: the partner vouches for the shopper. */
export async function externalGrant(ctx: Ctx, site: Site, key: ApiKey, externalRef: string, ref: SessionRef): Promise<IssuedTokens> {
  const named = await namedByProofGrant(ctx, site, ref);
  if (named?.rekeyed === true) {
    // Checked before the shopper is created on first use: a refused grant writes nothing.
    const known = await ctx.store.shoppers.byExternalRef(site.id, externalRef);
    checkRekeyedFor(named, ref, known ?? undefined);
  }
  await ctx.store.shoppers.insertIfNewExternal({
    id: randomHex(16),
    site_id: site.id,
    username: null,
    password_hash: null,
    external_ref: externalRef,
    first_name: '',
    last_name: '',
    email: '',
    locale: null,
    currency: null,
    created_at: ctx.now()
  });
  const shopperId = await ctx.store.shoppers.byExternalRef(site.id, externalRef);
  if (shopperId === null) throw new Error('the external shopper was neither stored nor found');
  return await logInOnSession(ctx, site, named, shopperId, ref.ip ?? null, async (trx, session) => await issueTokens(ctx, trx, site, key, session, 'full'));
}

/**
 * `client_credentials` alone: guest checkout on a new session. Its active cart is the session's
 * `cart_id`; the cart row is written when the cart is first used, as for every session.
 */
export async function guestGrant(ctx: Ctx, site: Site, key: ApiKey, ip: string | null): Promise<IssuedTokens> {
  return await issueOnNewSession(ctx, site, key, { ip }, 'limited');
}

/**
 * `client_credentials` alone with `dr_session_token` / `dr_limited_token`: a
 * limited token joined to the session the handle names, checked as in every row (a handle that
 * names nothing: invalid_grant; a bad dr_limited_token: dr_limited_token_invalid).
 */
export async function joinedGuestGrant(ctx: Ctx, site: Site, key: ApiKey, ref: SessionRef, admit?: (session: Session) => void): Promise<IssuedTokens> {
  const existing = await referencedSession(ctx, site, ref);
  if (existing === null) throw new InvalidGrant('No session named');
  // The session's join budget, as for every other join (counted before anything is stored).
  admit?.(existing);
  return await issueOnSession(ctx, site, key, existing, 'limited');
}
