import type { ClaimedDelivery, DeliveryListing, EndpointRow } from '../webhooks.js';
import type { DeliveryStatus } from '../webhook-rows.js';

export type { ClaimedDelivery, DeliveryListing, EndpointRow } from '../webhooks.js';
export type { DeliveryStatus } from '../webhook-rows.js';

/** An event to write: its outbox row and one delivery per subscribed endpoint of its site. */
export interface NewEvent { id: string; siteId: string; sessionId: string; type: string; body: string; now: number }
/** An attempt's outcome, recorded only while `owner` holds the delivery's lease. */
export interface DeliveryOutcome { id: string; owner: string; now: number; status: DeliveryStatus; nextAt: number; httpStatus: number | null; error: string | null }

/**
 * Webhooks (migration 0005_webhooks): endpoints, the outbox of events and their deliveries. None
 * of these writes touches a session or token row. writeEvent is called on the transaction Store of
 * the change it reports, so the event commits or rolls back with it.
 */
export interface WebhookStore {
  /**
   * Writes an event and a pending delivery per endpoint of its site subscribed to its type; a
   * site without such endpoints writes nothing. Answers the number of deliveries written.
   */
  writeEvent(event: NewEvent): Promise<number>;
  /**
   * Claims up to `limit` due deliveries for `owner` until `leaseUntil`, each the oldest pending one
   * of its endpoint (per-endpoint order). Two dispatchers on one database never claim the same row
   * (on PostgreSQL racing claims pass each other with FOR UPDATE SKIP LOCKED). An idle poll writes nothing.
   */
  claimDue(options: { now: number; owner: string; leaseUntil: number; limit: number }): Promise<ClaimedDelivery[]>;
  /** Records an attempt's outcome; false (nothing written) when `owner` no longer holds the lease. */
  finishDelivery(outcome: DeliveryOutcome): Promise<boolean>;
  /** The earliest time a pending delivery falls due, or null. */
  nextDueAt(): Promise<number | null>;
  /** Stores an endpoint; on a taken (site, url) leaves it ('nothing') or replaces its secret and events ('update'). */
  insertEndpoint(row: EndpointRow, onConflict: 'nothing' | 'update'): Promise<void>;
  /** A site's endpoints, oldest first. */
  endpointsOf(siteId: string): Promise<EndpointRow[]>;
  /** A site's endpoint at `url`, or null. */
  endpointByUrl(siteId: string, url: string): Promise<EndpointRow | null>;
  /** Deletes an endpoint and its deliveries, atomically; false when unknown. */
  deleteEndpoint(id: string): Promise<boolean>;
  /** A site's deliveries, newest event first. */
  deliveriesOf(siteId: string, options: { status?: DeliveryStatus; limit: number }): Promise<DeliveryListing[]>;
  /** Makes an event's deliveries (or one endpoint's) pending again, due at `now`; answers how many. */
  replay(eventId: string, endpointId: string | null, now: number): Promise<number>;
  /** Sessions of sites with endpoints that expired in (since, now] with no `session.ended` event yet. */
  unreportedExpiries(options: { now: number; since: number; limit: number }): Promise<Array<{ id: string; site_id: string }>>;
  /** Forgets finished deliveries, and events without deliveries, older than `before`. */
  prune(before: number): Promise<void>;
  /** Removes a site's endpoints, deliveries and events, atomically. */
  removeSite(siteId: string): Promise<void>;
}
