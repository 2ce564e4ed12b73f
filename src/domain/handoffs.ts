import { hashSecret, randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import { emitEvent } from './events.js';
import type { Session } from './sessions.js';

/** Handoff codes: single-use, short-lived links from the Shopper API's web checkout to the hosted pages. */
export const HANDOFF_TTL_MS = 60_000;

/** A single-use handoff code for the session (web checkout → hosted pages); only its hash is stored. */
export async function createHandoff(ctx: Ctx, session: Session): Promise<string> {
  const code = randomHex(32);
  await ctx.store.handoffs.insert({
    hash: hashSecret(ctx.secret, 'handoff', code),
    session_id: session.id,
    epoch: session.epoch,
    expires_at: ctx.now() + HANDOFF_TTL_MS,
    used_at: null
  });
  return code;
}

/**
 * The live session an unused, unexpired handoff code names on this site, without consuming it
 * (the hosted pages ask before a handoff replaces a signed-in browser's session), or null.
 */
export async function peekHandoff(ctx: Ctx, siteId: string, code: string): Promise<Session | null> {
  if (!/^[0-9a-f]{64}$/.test(code)) return null;
  const now = ctx.now();
  const row = await ctx.store.handoffs.peek(hashSecret(ctx.secret, 'handoff', code), now);
  if (row === null) return null;
  const { code_epoch, ...session } = row;
  if (code_epoch !== session.epoch || session.expires_at <= now || session.site_id !== siteId) return null;
  return session;
}

/**
 * Consumes a handoff code: exactly one caller wins (the UPDATE only matches an unused, unexpired
 * row). Returns the live session of the site it names, or null.
 */
export async function consumeHandoff(ctx: Ctx, siteId: string, code: string): Promise<Session | null> {
  if (!/^[0-9a-f]{64}$/.test(code)) return null;
  const now = ctx.now();
  const hash = hashSecret(ctx.secret, 'handoff', code);
  // One transaction with the `handoff.redeemed` event: the app's receipt that the browser arrived.
  return await ctx.store.transaction(async (tx) => {
    const row = await tx.handoffs.consume(hash, now);
    if (row === null) return null;
    const { code_epoch, ...session } = row;
    if (code_epoch !== session.epoch || session.expires_at <= now || session.site_id !== siteId) return null;
    await emitEvent(ctx, tx, 'handoff.redeemed', { siteId: session.site_id, sessionId: session.id });
    return session;
  });
}
