import { randomHex, timePrefix } from '../crypto.js';
import type { Store } from '../store/port.js';
import type { Ctx } from './context.js';

/**
 * Webhook events: written to the outbox in the transaction of the change they report (`tx` is
 * that transaction's Store), so an event is never lost and never sent for a change that rolled back. The
 * dispatcher (src/webhooks/) delivers them. Every `data` carries `siteId` and `sessionId`, and ids
 * only: never a token, code or password.
 */
export const EVENT_TYPES = ['handoff.redeemed', 'session.authenticated', 'session.rekeyed', 'cart.updated', 'order.placed', 'session.ended'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why a session ended: its token was revoked, it expired, the shopper signed out, the operator ended it. */
export type EndReason = 'revoked' | 'expired' | 'signed_out' | 'ended';

export interface EventData {
  siteId: string;
  sessionId: string;
  [field: string]: string | number | null;
}

// Within one process and millisecond, events keep the order they were written in.
let sequence = 0;

/** `msg_` + the time (12 hex) + a per-process sequence (6 hex) + 64 random bits: sorts in the order written. */
export function eventId(now: number): string {
  sequence = (sequence + 1) % 0x1000000;
  return `msg_${timePrefix(now)}${sequence.toString(16).padStart(6, '0')}${randomHex(8)}`;
}

// The dispatcher of each database in this process, woken after a change wrote events.
const wakers = new WeakMap<Store, () => void>();

/** Registers the function that wakes `store`'s dispatcher (one per database in this process). */
export function onEventsWritten(store: Store, wake: (() => void) | null): void {
  if (wake === null) wakers.delete(store);
  else wakers.set(store, wake);
}

/**
 * Writes one event inside the change's transaction `tx`: nothing when no endpoint of the site
 * subscribes to it. The local dispatcher is woken to look once the change has committed.
 */
export async function emitEvent(ctx: Ctx, tx: Store, type: EventType, data: EventData): Promise<void> {
  const now = ctx.now();
  const id = eventId(now);
  const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  const written = await tx.webhooks.writeEvent({ id, siteId: data.siteId, sessionId: data.sessionId, type, body, now });
  if (written > 0) wakers.get(ctx.store)?.();
}

/** `session.ended` for a session, with why. */
export async function emitSessionEnded(ctx: Ctx, tx: Store, session: { id: string; site_id: string }, reason: EndReason): Promise<void> {
  await emitEvent(ctx, tx, 'session.ended', { siteId: session.site_id, sessionId: session.id, reason });
}

/** A sign-in on a session (grant or hosted page): `session.authenticated`, and `session.rekeyed` when its keys changed. */
export async function emitSignedIn(ctx: Ctx, tx: Store, session: { id: string; site_id: string; epoch: number }, shopperId: string, rekeyed: boolean): Promise<void> {
  await emitEvent(ctx, tx, 'session.authenticated', { siteId: session.site_id, sessionId: session.id, shopperId });
  if (rekeyed) await emitEvent(ctx, tx, 'session.rekeyed', { siteId: session.site_id, sessionId: session.id, shopperId });
}
