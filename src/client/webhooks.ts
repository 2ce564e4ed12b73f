import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** Sessionlink's webhook events, as `client.webhooks.verify` returns them (every `data` has siteId and sessionId). */
interface Base<T extends string, D> {
  type: T;
  /** When the change happened, ISO 8601. */
  timestamp: string;
  data: { siteId: string; sessionId: string } & D;
}

export type WebhookEvent =
  | Base<'handoff.redeemed', object>
  | Base<'session.authenticated', { shopperId: string }>
  | Base<'session.rekeyed', { shopperId: string }>
  | Base<'cart.updated', { cartId: string; version: number }>
  | Base<'order.placed', { orderId: string; total: string; currency: string }>
  | Base<'session.ended', { reason: 'revoked' | 'expired' | 'signed_out' | 'ended' }>;

export type WebhookEventType = WebhookEvent['type'];

/** The webhook-id of a verified delivery: the same on every retry, so a receiver deduplicates by it. */
export type VerifiedWebhookEvent = WebhookEvent & { id: string };

/** Why a delivery was refused: `invalid_signature`, `stale_timestamp`, `missing_headers`, `invalid_body`, `no_secret`. */
export class WebhookError extends Error {
  readonly code: 'invalid_signature' | 'stale_timestamp' | 'missing_headers' | 'invalid_body' | 'no_secret';

  constructor(code: WebhookError['code'], message: string) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
  }
}

/** The request's headers: a fetch `Headers`, or Node's `IncomingHttpHeaders`. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

const TYPES: readonly string[] = ['handoff.redeemed', 'session.authenticated', 'session.rekeyed', 'cart.updated', 'order.placed', 'session.ended'];

/**
 * Verifies Sessionlink's webhook deliveries (Standard Webhooks) with the endpoint's `whsec_…`
 * secret: the signature over `webhook-id.webhook-timestamp.body`, and a timestamp within 5 minutes
 * of now (a replayed old delivery is refused).
 */
export class Webhooks {
  readonly #secret: string | undefined;

  constructor(secret: string | undefined) {
    this.#secret = secret;
  }

  /** Checks a delivery and returns its event; `rawBody` is the request body exactly as received. Throws WebhookError. */
  verify(rawBody: string | Uint8Array, headers: WebhookHeaders): VerifiedWebhookEvent {
    if (this.#secret === undefined) throw new WebhookError('no_secret', 'give the endpoint secret as `webhookSecret` to the SessionlinkClient to verify webhooks');
    const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signature = header(headers, 'webhook-signature');
    if (id === undefined || timestamp === undefined || signature === undefined) {
      throw new WebhookError('missing_headers', 'not a webhook delivery: webhook-id, webhook-timestamp and webhook-signature are required');
    }
    let parsed: unknown;
    try {
      parsed = new Webhook(this.#secret).verify(body, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof WebhookVerificationError && /timestamp/i.test(message)) {
        throw new WebhookError('stale_timestamp', `webhook timestamp refused (${message}): a delivery older or newer than 5 minutes, or this machine's clock is off`);
      }
      if (err instanceof WebhookVerificationError && /header/i.test(message)) throw new WebhookError('missing_headers', `not a webhook delivery: ${message}`);
      throw new WebhookError('invalid_signature', 'webhook signature does not match: wrong secret, or the body was changed (verify the raw body, before any JSON parsing)');
    }
    const event = parsed as Partial<WebhookEvent> | null;
    if (event === null || typeof event !== 'object' || !TYPES.includes(String(event.type)) || typeof event.data?.sessionId !== 'string') {
      throw new WebhookError('invalid_body', 'signed, but not a Sessionlink event body');
    }
    return { ...(event as WebhookEvent), id };
  }
}
