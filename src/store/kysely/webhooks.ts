import type { Executor } from '../rows.js';
import type { DeliveryOutcome, DeliveryStatus, NewEvent, WebhookStore } from '../port/webhooks.js';
import * as q from '../webhooks.js';
import { atomically } from './atomically.js';

/** Webhooks on Kysely; `skipLocked` makes the claim's candidates FOR UPDATE SKIP LOCKED (PostgreSQL). */
export class KyselyWebhooks implements WebhookStore {
  constructor(protected readonly db: Executor, protected readonly skipLocked = false) {}

  async writeEvent(event: NewEvent): Promise<number> {
    return await atomically(this.db, async (trx) => await q.writeEvent(trx, event));
  }
  async claimDue(options: { now: number; owner: string; leaseUntil: number; limit: number }): Promise<q.ClaimedDelivery[]> {
    return await q.claimDue(this.db, options, this.skipLocked);
  }
  async finishDelivery(outcome: DeliveryOutcome): Promise<boolean> {
    return await q.finishDelivery(this.db, outcome);
  }
  async nextDueAt(): Promise<number | null> {
    return await q.nextDueAt(this.db);
  }
  async insertEndpoint(row: q.EndpointRow, onConflict: 'nothing' | 'update'): Promise<void> {
    await q.insertEndpoint(this.db, row, onConflict);
  }
  async endpointsOf(siteId: string): Promise<q.EndpointRow[]> {
    return await q.endpointsOfSite(this.db, siteId);
  }
  async endpointByUrl(siteId: string, url: string): Promise<q.EndpointRow | null> {
    return (await q.endpointByUrl(this.db, siteId, url)) ?? null;
  }
  async deleteEndpoint(id: string): Promise<boolean> {
    return await atomically(this.db, async (trx) => await q.deleteEndpoint(trx, id));
  }
  async deliveriesOf(siteId: string, options: { status?: DeliveryStatus; limit: number }): Promise<q.DeliveryListing[]> {
    return await q.deliveriesOfSite(this.db, siteId, options);
  }
  async replay(eventId: string, endpointId: string | null, now: number): Promise<number> {
    return await q.replayEvent(this.db, eventId, endpointId, now);
  }
  async unreportedExpiries(options: { now: number; since: number; limit: number }): Promise<Array<{ id: string; site_id: string }>> {
    return await q.unreportedExpiries(this.db, options);
  }
  async prune(before: number): Promise<void> {
    await atomically(this.db, async (trx) => await q.pruneWebhooks(trx, before));
  }
  async removeSite(siteId: string): Promise<void> {
    await atomically(this.db, async (trx) => await q.deleteSiteWebhooks(trx, siteId));
  }
}
