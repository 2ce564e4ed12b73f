import type { Logger } from 'pino';
import { randomHex } from '../crypto.js';
import type { WebhookSettings } from '../config-defaults.js';
import type { Ctx } from '../domain/context.js';
import { onEventsWritten } from '../domain/events.js';
import { claimAttempts, recordAttempt, type Attempt } from '../domain/webhook-delivery.js';
import { sendAttempt } from './send.js';

/** Deliveries claimed at once; each is a different endpoint's oldest pending one. */
const BATCH = 16;
/** After a local change wrote events, look again this often for this long (its commit may still be on its way). */
const WAKE_RETRY_MS = 25;
const WAKE_WINDOW_MS = 1000;

export interface DispatcherOptions {
  log?: Pick<Logger, 'warn' | 'error'>;
  /** Jitter source (tests pass a fixed one). */
  random?: () => number;
}

/**
 * The background sender of webhook deliveries (started by src/start.ts, or by a test). It claims
 * due deliveries with a lease in the database, so any number of processes on one database deliver
 * each event once; sends each (send.ts) and records the outcome. Nothing on a request's path waits
 * for it: a change only writes its event and wakes this.
 */
export class Dispatcher {
  readonly owner = `dispatcher-${randomHex(8)}`;
  readonly #ctx: Ctx;
  readonly #settings: WebhookSettings;
  readonly #options: DispatcherOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #started = false;
  #wokenUntil = 0;

  constructor(ctx: Ctx, settings: WebhookSettings, options: DispatcherOptions = {}) {
    this.#ctx = ctx;
    this.#settings = settings;
    this.#options = options;
  }

  /** Polls every pollSeconds and at once when a change in this process wrote events. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    onEventsWritten(this.#ctx.store, () => this.wake());
    this.#schedule(0);
  }

  /** Stops polling and waits for the attempts in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.#started = false;
    onEventsWritten(this.#ctx.store, null);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => 0);
  }

  /** A local change wrote events: look now, and keep looking briefly until its commit shows. */
  wake(): void {
    this.#wokenUntil = Date.now() + WAKE_WINDOW_MS;
    if (this.#started && this.#running === null) this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (!this.#started) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#loop();
    }, ms);
    this.#timer.unref();
  }

  async #loop(): Promise<void> {
    if (this.#running !== null) {
      // A round someone else started (a test's drain) is under way: look again after it.
      this.#schedule(WAKE_RETRY_MS);
      return;
    }
    let sent = 0;
    try {
      sent = await this.tick();
    } catch (err) {
      this.#options.log?.error({ err }, 'webhook dispatch failed; trying again at the next poll');
    }
    if (sent > 0) this.#schedule(0);
    else this.#schedule(Date.now() < this.#wokenUntil ? WAKE_RETRY_MS : this.#settings.pollSeconds * 1000);
  }

  /** One round: claims due deliveries and attempts them all in parallel. Returns how many were attempted. */
  async tick(): Promise<number> {
    if (this.#running !== null) return await this.#running;
    this.#running = this.#round();
    try {
      return await this.#running;
    } finally {
      this.#running = null;
    }
  }

  /** Rounds until nothing is due (tests). */
  async drain(): Promise<number> {
    let total = 0;
    for (let sent = await this.tick(); sent > 0; sent = await this.tick()) total += sent;
    return total;
  }

  async #round(): Promise<number> {
    const attempts = await claimAttempts(this.#ctx, this.owner, this.#settings, BATCH);
    await Promise.all(attempts.map(async (attempt) => await this.#attempt(attempt)));
    return attempts.length;
  }

  async #attempt(attempt: Attempt): Promise<void> {
    // Signed with the wall-clock time of sending: receivers check it against their own clock.
    const result = await sendAttempt(attempt, new Date(), this.#settings.timeoutSeconds * 1000);
    const outcome = await recordAttempt(this.#ctx, this.owner, attempt, result, this.#settings, this.#options.random);
    // The endpoint id, never its URL (it may carry a token of the app's) or the secret.
    if (outcome === 'failed') {
      this.#options.log?.warn({ endpoint: attempt.endpointId, event: attempt.eventId, attempts: attempt.attempt, error: result.error }, 'webhook delivery given up');
    }
  }
}
