import type { Executor } from './rows.js';

/**
 * The way back to the storefront: what a handoff and then the browser's session remember (the
 * return URL and the API key that started the web checkout), and the return codes. Each function
 * takes the executor it runs on (the database or an open transaction). Expired rows are deleted
 * by the writes that add new ones, so the tables stay small without a sweeper of their own.
 */

export interface ReturnTarget {
  apiKey: string;
  returnUrl: string;
}

/** Remembers a handoff's return URL and key until the handoff itself expires. */
export async function insertHandoffReturn(db: Executor, hash: string, target: ReturnTarget, expiresAt: number, now: number): Promise<void> {
  await db.deleteFrom('handoff_returns').where('expires_at', '<=', now).execute();
  await db.insertInto('handoff_returns')
    .values({ hash, api_key: target.apiKey, return_url: target.returnUrl, expires_at: expiresAt }).execute();
}

/**
 * Moves what a used handoff remembered onto the session it seated a browser on (the newest
 * handoff wins). Returns the target, or null when the handoff remembered none (or expired).
 */
export async function adoptHandoffReturn(db: Executor, hash: string, sessionId: string, sessionExpiresAt: number, now: number): Promise<ReturnTarget | null> {
  const row = await db.selectFrom('handoff_returns').select(['api_key', 'return_url'])
    .where('hash', '=', hash).where('expires_at', '>', now).executeTakeFirst();
  if (row === undefined) return null;
  await db.deleteFrom('handoff_returns').where('hash', '=', hash).execute();
  await db.deleteFrom('session_returns').where('expires_at', '<=', now).execute();
  // An upsert: two handoffs onto one session may be used at the same moment.
  const values = { api_key: row.api_key, return_url: row.return_url, expires_at: sessionExpiresAt };
  await db.insertInto('session_returns').values({ session_id: sessionId, ...values })
    .onConflict((oc) => oc.column('session_id').doUpdateSet(values)).execute();
  return { apiKey: row.api_key, returnUrl: row.return_url };
}

/** What the session remembers for the way back, or null. */
export async function sessionReturnTarget(db: Executor, sessionId: string, now: number): Promise<ReturnTarget | null> {
  const row = await db.selectFrom('session_returns').select(['api_key', 'return_url'])
    .where('session_id', '=', sessionId).where('expires_at', '>', now).executeTakeFirst();
  return row === undefined ? null : { apiKey: row.api_key, returnUrl: row.return_url };
}

export interface NewReturnCode extends ReturnTarget {
  hash: string;
  sessionId: string;
  siteId: string;
  orderId: string;
  expiresAt: number;
}

/** Stores a return code; the session's earlier unused codes (and every expired one) go, so one link works at a time. */
export async function insertReturnCode(db: Executor, code: NewReturnCode, now: number): Promise<void> {
  await db.deleteFrom('return_codes')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb.and([eb('session_id', '=', code.sessionId), eb('used_at', 'is', null)])])).execute();
  await db.insertInto('return_codes').values({
    hash: code.hash, session_id: code.sessionId, site_id: code.siteId, api_key: code.apiKey,
    return_url: code.returnUrl, order_id: code.orderId, expires_at: code.expiresAt, used_at: null
  }).execute();
}

/**
 * Spends a return code when everything it is bound to matches: exactly one caller wins (the
 * UPDATE only matches an unused, unexpired row of this site, key and return URL). Returns the
 * session id it names, or null, having changed nothing.
 */
export async function spendReturnCode(db: Executor, hash: string, siteId: string, target: ReturnTarget, now: number): Promise<string | null> {
  const spent = await db.updateTable('return_codes').set({ used_at: now })
    .where('hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', now)
    .where('site_id', '=', siteId).where('api_key', '=', target.apiKey).where('return_url', '=', target.returnUrl)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) return null;
  const row = await db.selectFrom('return_codes').select('session_id').where('hash', '=', hash).executeTakeFirst();
  return row?.session_id ?? null;
}
