import { Webhook } from 'standardwebhooks';
import { WEBHOOK_RESPONSE_LIMIT_BYTES } from '../config-defaults.js';
import type { Attempt, AttemptResult } from '../domain/webhook-delivery.js';

/**
 * One delivery attempt in the Standard Webhooks format: POST the event's body with webhook-id (the
 * event's id, the same on every retry), webhook-timestamp (now, seconds) and webhook-signature
 * (`v1,` HMAC-SHA-256 of `id.timestamp.body` with the secret's bytes). Only a 2xx answer counts;
 * a redirect is not followed (a failure), at most WEBHOOK_RESPONSE_LIMIT_BYTES of the answer are
 * read, and the whole attempt ends after `timeoutMs`.
 */
export async function sendAttempt(attempt: Attempt, now: Date, timeoutMs: number): Promise<AttemptResult> {
  const signature = new Webhook(attempt.secret).sign(attempt.eventId, now, attempt.body);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(attempt.url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Sessionlink-Webhooks/1',
        'webhook-id': attempt.eventId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature
      },
      body: attempt.body
    });
    await readAtMost(res, WEBHOOK_RESPONSE_LIMIT_BYTES);
    if (res.status >= 200 && res.status < 300) return { ok: true, httpStatus: res.status, error: null };
    const why = res.status >= 300 && res.status < 400 ? `redirect (HTTP ${res.status}) not followed` : `HTTP ${res.status}`;
    return { ok: false, httpStatus: res.status, error: why };
  } catch (err) {
    if (signal.aborted) return { ok: false, httpStatus: null, error: `no answer within ${timeoutMs / 1000} s` };
    return { ok: false, httpStatus: null, error: describe(err) };
  }
}

/** Reads up to `limit` bytes of the answer, then drops the connection (a huge answer costs nothing). */
async function readAtMost(res: Response, limit: number): Promise<void> {
  if (res.body === null) return;
  const reader = res.body.getReader();
  let read = 0;
  try {
    while (read < limit) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } finally {
    reader.releaseLock();
  }
}

/** A network failure as one short line (connection refused, DNS, TLS), never a stack. */
function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  const message = typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err);
  return (code !== null ? `${code}: ${message}` : message).replace(/[\r\n]+/g, ' ').slice(0, 200);
}
