import type { SessionRow } from '../store/rows.js';
import type { Store } from '../store/port.js';
import { deriveHex, hashSecret, prefixedKey, sortableId, timedSecret } from '../crypto.js';
import type { Ctx } from './context.js';
import type { Site } from './sites.js';
import { emitSessionEnded, emitSignedIn, type EndReason } from './events.js';

export type Session = SessionRow;
export type HandleKind = 'cookie' | 'session_token';

/** A handle resolved to its session, or why it no longer reaches one. */
export type Resolved =
  | { status: 'live'; session: Session }
  | { status: 'expired' | 'rekeyed'; session: Session };

/** The TTL rule: the earlier of createdAt + ttl and lastUsedAt + idle. */
export function expiryOf(site: Site, createdAt: number, lastUsedAt: number): number {
  const absolute = createdAt + site.ttl_seconds * 1000;
  if (site.idle_seconds > 0) {
    return Math.min(absolute, lastUsedAt + site.idle_seconds * 1000);
  }
  return absolute;
}

/** Whole seconds left on a session, rounded down (every token's `expires_in`). */
export function secondsLeft(session: Session, now: number): number {
  return Math.max(0, Math.floor((session.expires_at - now) / 1000));
}

/**
 * The session token of a session at an epoch: 32 upper-case hex characters derived from the
 * server secret, so every site-action call can return it without storing anything new, and a
 * re-key (new epoch) changes it.
 */
export function sessionTokenOf(ctx: Ctx, session: Pick<Session, 'id' | 'epoch'>): string {
  return deriveHex(ctx.secret, 'session-token', `${session.id}:${session.epoch}`).slice(0, 32).toUpperCase();
}

export const SESSION_TOKEN_PATTERN = /^[0-9A-Fa-f]{32}$/;

export interface NewSessionOptions {
  shopperId?: string | null;
  ip?: string | null;
  locale?: string;
  currency?: string;
  /** A fixed id (a refresh of an ended session derives it, so racing refreshes agree). */
  id?: string;
}

/** The row of a new session, not yet stored. */
export function newSessionRow(ctx: Ctx, site: Site, options: NewSessionOptions = {}): Session {
  const now = ctx.now();
  return {
    id: options.id ?? sortableId(now),
    site_id: site.id,
    shopper_id: options.shopperId ?? null,
    epoch: 0,
    locale: options.locale ?? site.locale,
    currency: options.currency ?? site.currency,
    ip: options.ip ?? null,
    // Not stored by the insert: the creating address is `ip`; client_ip follows later use.
    client_ip: null,
    cart_id: sortableId(now),
    created_at: now,
    last_used_at: now,
    expires_at: expiryOf(site, now, now)
  };
}

/** A new session for a browser with its first cookie value, stored together. */
export async function createBrowserSession(ctx: Ctx, site: Site, ip: string | null): Promise<{ session: Session; cookie: string }> {
  return await ctx.store.transaction(async (tx) => {
    const created = await createSession(ctx, tx, site, { ip });
    return { session: created, cookie: await mintCookie(ctx, created, tx) };
  });
}

export async function createSession(ctx: Ctx, store: Store, site: Site, options: NewSessionOptions = {}): Promise<Session> {
  const session = newSessionRow(ctx, site, options);
  if (!await store.sessions.insert(session)) {
    // Someone else created this derived id first: use theirs.
    const theirs = await store.sessions.get(session.id);
    if (theirs === null) throw new Error(`session ${session.id} was neither stored nor found`);
    return theirs;
  }
  return session;
}

/**
 * The session token of a session, made resolvable. Only the site action hands session tokens out,
 * so only it records their hashes (most sessions, made by a token grant, never need one); a repeat
 * call reads and writes nothing new.
 */
export async function issueSessionToken(ctx: Ctx, session: Session, store: Store = ctx.store): Promise<string> {
  const token = sessionTokenOf(ctx, session);
  const hash = hashSecret(ctx.secret, 'session_token', token);
  if (!await store.sessions.hasHandle(hash)) {
    await store.sessions.addHandle({ hash, session_id: session.id, kind: 'session_token', epoch: session.epoch, created_at: ctx.now() });
  }
  return token;
}

/**
 * Cookie values are `timedSecret`s stored under their time prefix (new ones append to the index);
 * session tokens have a fixed format (32 upper-case hex characters), so they are stored under a plain HMAC.
 */
export function handleKey(ctx: Ctx, kind: HandleKind, value: string): string {
  return kind === 'cookie' ? prefixedKey(ctx.secret, 'cookie', value) : hashSecret(ctx.secret, kind, value);
}

/** A fresh cookie value for the browser, stored only as a hash. */
export async function mintCookie(ctx: Ctx, session: Session, store: Store = ctx.store): Promise<string> {
  const value = timedSecret(ctx.now(), 32);
  await store.sessions.addHandle({ hash: handleKey(ctx, 'cookie', value), session_id: session.id, kind: 'cookie', epoch: session.epoch, created_at: ctx.now() });
  return value;
}

/** A handle's row joined to its session's. */
export type HandleSessionRow = Session & { handle_epoch: number; handle_kind: HandleKind };

/** Finds the session a cookie value or session token names. null: never issued (or swept). */
export async function resolveHandle(ctx: Ctx, kind: HandleKind, value: string): Promise<Resolved | null> {
  return resolvedOf(kind, await ctx.store.sessions.findHandle(handleKey(ctx, kind, value)), ctx.now());
}

/** What a handle's row says about its session at `now` (see `resolveHandle`). */
export function resolvedOf(kind: HandleKind, row: HandleSessionRow | null, now: number): Resolved | null {
  if (row === null || row.handle_kind !== kind) {
    return null;
  }
  const { handle_epoch, handle_kind: _kind, ...session } = row;
  if (handle_epoch !== session.epoch) {
    return { status: 'rekeyed', session };
  }
  if (session.expires_at <= now) {
    return { status: 'expired', session };
  }
  return { status: 'live', session };
}

/**
 * Records use of a session where the site has an idle timeout (otherwise nothing to write), and
 * with it the address it was used from (`clientIp`, token info's clientIpAddress).
 */
export async function touchSession(ctx: Ctx, site: Site, session: Session, clientIp?: string): Promise<Session> {
  if (site.idle_seconds <= 0) {
    return session;
  }
  const now = ctx.now();
  // Writing on every request would cost a commit per call; a second's slack is invisible in
  // whole-second `expires_in` values.
  if (now - session.last_used_at < 1000) {
    return session;
  }
  const expiresAt = expiryOf(site, session.created_at, now);
  // A touch moves only the idle expiry: a token cache follows it instead of starting over.
  const client_ip = clientIp ?? session.client_ip;
  await ctx.store.sessions.touch({ id: session.id, now, expires_at: expiresAt, client_ip });
  return { ...session, last_used_at: now, expires_at: expiresAt, client_ip };
}

/**
 * Re-keys a session at login: same id, cart and settings, a new epoch, so every
 * cookie value, session token and access/refresh token made before dies at once. A compare-and-set
 * on the epoch: of concurrent logins on one session, exactly one moves it on; the others get null (on PostgreSQL the loser's UPDATE waits for the
 * winner's commit and then finds the epoch changed).
 */
export async function rekeySession(ctx: Ctx, store: Store, session: Session, shopperId: string, clientIp?: string | null): Promise<Session | null> {
  const client_ip = clientIp ?? session.client_ip;
  if (!await store.sessions.rekey(session.id, session.epoch, shopperId, client_ip)) return null;
  // Every sign-in re-keys through here (the grants, the hosted pages): its events go with it.
  await emitSignedIn(ctx, store, session, shopperId, true);
  return { ...session, epoch: session.epoch + 1, shopper_id: shopperId, client_ip };
}

export async function getSession(store: Store, sessionId: string): Promise<Session | null> {
  return await store.sessions.get(sessionId);
}

/**
 * Ends a session now (the admin command): it expires this instant, so its cookie values, session
 * tokens and access tokens answer "Session expired" on their next use, and its refresh tokens are
 * revoked so a signed-in shopper's refresh cannot continue it on a new session. Returns false
 * when there is no such session.
 */
export async function endSession(ctx: Ctx, sessionId: string, reason: EndReason = 'ended'): Promise<boolean> {
  const now = ctx.now();
  return await ctx.store.transaction(async (tx) => {
    const session = await tx.sessions.get(sessionId);
    if (session === null) return false;
    await tx.sessions.end(sessionId, now);
    if (session.expires_at > now) await emitSessionEnded(ctx, tx, session, reason);
    return true;
  });
}

/** How long an ended session's rows are kept so late callers still hear "Session expired". */
export const EXPIRED_RETENTION_MS = 24 * 3600 * 1000;

/** How long finished webhook deliveries and their events are kept (`sessionlink webhooks deliveries`, replay). */
export const WEBHOOK_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Deletes rows that can no longer matter, so the database does not grow without bound. */
export async function sweepExpired(ctx: Ctx): Promise<number> {
  const cutoff = ctx.now() - EXPIRED_RETENTION_MS;
  const now = ctx.now();
  return await ctx.store.transaction(async (tx) => {
    // Sessions that expired since the last sweeps, on sites with webhooks: `session.ended`.
    for (const expired of await tx.webhooks.unreportedExpiries({ now, since: cutoff, limit: 1000 })) {
      await emitSessionEnded(ctx, tx, expired, 'expired');
    }
    await tx.webhooks.prune(now - WEBHOOK_RETENTION_MS);
    return await tx.sessions.sweep(cutoff, now);
  });
}

// Read fresh, not from a validated (possibly cached) session row: a touch records the address.
/** The session's recorded addresses as stored now (never cached), or null when the row is gone. */
export async function sessionAddress(ctx: Ctx, sessionId: string): Promise<{ client_ip: string | null; ip: string | null } | null> {
  return await ctx.store.sessions.address(sessionId);
}

/**
 * Whether a browser holds the session: the site action gave it a cookie or a session token. A
 * session a server made with a token grant and never handed to the site action has neither.
 */
export async function heldByBrowser(ctx: Ctx, sessionId: string): Promise<boolean> {
  return await ctx.store.sessions.heldByBrowser(sessionId);
}

/** The number of sessions not expired at `now`. */
export async function countLiveSessions(ctx: Ctx, now: number): Promise<number> {
  return await ctx.store.sessions.countLive(now);
}

/**
 * The number of a site's anonymous sessions not expired at `now`: a long read that may see the
 * last committed state, so on a SQLite file it runs on the background thread.
 */
export async function countLiveAnonymousSessions(ctx: Ctx, siteId: string, now: number): Promise<number> {
  return await ctx.store.sessions.countLiveAnonymous(siteId, now);
}
