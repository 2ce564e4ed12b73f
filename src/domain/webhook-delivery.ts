import type { WebhookSettings } from '../config-defaults.js';
import type { ClaimedDelivery } from '../store/port.js';
import type { Ctx } from './context.js';
import { decryptSecret, secretAad } from './webhook-secrets.js';

/** The dispatcher's side of the outbox: claim due deliveries under a lease, record each attempt. */

/** A claimed delivery with its endpoint's secret opened, ready to sign and send. */
export interface Attempt {
  id: string;
  eventId: string;
  endpointId: string;
  /** This attempt's number, 1 for the first. */
  attempt: number;
  url: string;
  secret: string;
  body: string;
}

/** What one attempt came to: `ok` is a 2xx answer. */
export interface AttemptResult {
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
}

/** How long a claim holds a delivery: the attempt's timeout and a margin; a crashed holder's claim lapses then. */
export function leaseMs(settings: WebhookSettings): number {
  return settings.timeoutSeconds * 1000 + 5000;
}

/**
 * The wait after failed attempt `attempt` (1-based): baseDelay × 2^(attempt − 1), at most
 * maxDelay, then a random point in its upper half (jitter, so endpoints coming back are not hit by
 * every retry at once).
 */
export function backoffMs(attempt: number, settings: WebhookSettings, random: () => number = Math.random): number {
  const full = Math.min(settings.maxDelaySeconds * 1000, settings.baseDelaySeconds * 1000 * 2 ** Math.min(30, attempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/** Claims up to `limit` due deliveries for `owner` (each the oldest pending one of its endpoint). */
export async function claimAttempts(ctx: Ctx, owner: string, settings: WebhookSettings, limit: number): Promise<Attempt[]> {
  const now = ctx.now();
  const claimed = await ctx.store.webhooks.claimDue({ now, owner, leaseUntil: now + leaseMs(settings), limit });
  const attempts: Attempt[] = [];
  for (const row of claimed) {
    const secret = openSecret(ctx, row);
    if (secret === null) {
      // Stored under another server secret: no attempt can succeed; give it up and say why.
      await ctx.store.webhooks.finishDelivery({ id: row.id, owner, now, status: 'failed', nextAt: now, httpStatus: null,
        error: 'the endpoint secret cannot be decrypted with this SESSIONLINK_SECRET; add the endpoint again' });
      continue;
    }
    attempts.push({ id: row.id, eventId: row.event_id, endpointId: row.endpoint_id, attempt: Number(row.attempts), url: row.url, secret, body: row.body });
  }
  return attempts;
}

function openSecret(ctx: Ctx, row: ClaimedDelivery): string | null {
  try {
    return decryptSecret(ctx.secret, secretAad(row), row.secret_enc);
  } catch {
    return null;
  }
}

/**
 * Records an attempt: delivered on 2xx; otherwise pending again after the backoff, or failed
 * once `maxAttempts` attempts failed. Returns the outcome recorded, or null when this dispatcher's
 * lease had lapsed and another took the delivery over (nothing is changed then).
 */
export async function recordAttempt(ctx: Ctx, owner: string, attempt: Attempt, result: AttemptResult, settings: WebhookSettings,
  random: () => number = Math.random): Promise<'delivered' | 'pending' | 'failed' | null> {
  const now = ctx.now();
  const status = result.ok ? 'delivered' : attempt.attempt >= settings.maxAttempts ? 'failed' : 'pending';
  const nextAt = status === 'pending' ? now + backoffMs(attempt.attempt, settings, random) : now;
  const recorded = await ctx.store.webhooks.finishDelivery({ id: attempt.id, owner, now, status, nextAt, httpStatus: result.httpStatus, error: result.ok ? null : result.error });
  return recorded ? status : null;
}
