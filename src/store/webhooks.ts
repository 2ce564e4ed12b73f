import { sql } from 'kysely';
import type { Executor } from './rows.js';
import type { DeliveryStatus, WebhookEndpointTable } from './webhook-rows.js';

/**
 * The webhook tables' SQL (migration 0005_webhooks), as functions of a Kysely executor, which may
 * be the transaction of the change an event reports. Parameters that PostgreSQL cannot type from
 * their place (an INSERT … SELECT list) are cast, the same text on both dialects.
 */

export type EndpointRow = WebhookEndpointTable;

/**
 * Writes an event to the outbox and one pending delivery per endpoint of its site that subscribes
 * to its type, with INSERT … SELECT from the endpoints, so a site without endpoints writes
 * nothing. Returns the number of deliveries written.
 */
export async function writeEvent(db: Executor, event: { id: string; siteId: string; sessionId: string; type: string; body: string; now: number }): Promise<number> {
  const pattern = `%,${event.type},%`;
  const subscribed = sql`site_id = ${event.siteId} and (events is null or events like ${pattern})`;
  const inserted = await sql`insert into webhook_events (id, site_id, session_id, type, body, created_at)
    select ${event.id}, ${event.siteId}, ${event.sessionId}, ${event.type}, ${event.body}, cast(${event.now} as bigint)
    where exists (select 1 from webhook_endpoints where ${subscribed})`.execute(db);
  if (Number(inserted.numAffectedRows ?? 0n) === 0) return 0;
  const deliveries = await sql`insert into webhook_deliveries (id, event_id, endpoint_id, status, attempts, next_at, lease_until, updated_at)
    select id || ${`:${event.id}`}, ${event.id}, id, 'pending', 0, cast(${event.now} as bigint), 0, cast(${event.now} as bigint)
    from webhook_endpoints where ${subscribed}`.execute(db);
  return Number(deliveries.numAffectedRows ?? 0n);
}

/** A delivery claimed by one dispatcher, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  site_id: string;
  url: string;
  secret_enc: string;
  body: string;
}

/**
 * Claims up to `limit` due deliveries for `owner` until `leaseUntil`, each the oldest pending
 * delivery of its endpoint (an endpoint's next event waits for the one before it). One atomic
 * UPDATE that re-checks the lease, so two dispatchers on one database never claim the same row;
 * with `skipLocked` (the PostgreSQL store) the candidates are locked with SKIP LOCKED, so racing claims pass each other.
 * A cheap read first: an idle poll writes nothing.
 */
export async function claimDue(db: Executor, options: { now: number; owner: string; leaseUntil: number; limit: number }, skipLocked: boolean): Promise<ClaimedDelivery[]> {
  const { now, owner, leaseUntil, limit } = options;
  const due = await db.selectFrom('webhook_deliveries').select('id')
    .where('status', '=', 'pending').where('next_at', '<=', now).where('lease_until', '<=', now).limit(1).executeTakeFirst();
  if (due === undefined) return [];
  const lock = skipLocked ? sql`for update skip locked` : sql``;
  const claimed = await sql<{ id: string }>`update webhook_deliveries
    set lease_until = cast(${leaseUntil} as bigint), lease_owner = ${owner}, attempts = attempts + 1, updated_at = cast(${now} as bigint)
    where id in (
      select d.id from webhook_deliveries d
      where d.status = 'pending' and d.next_at <= ${now} and d.lease_until <= ${now}
        and not exists (select 1 from webhook_deliveries p where p.endpoint_id = d.endpoint_id and p.status = 'pending' and p.event_id < d.event_id)
      order by d.event_id limit ${limit} ${lock}
    ) and status = 'pending' and lease_until <= ${now}
    returning id`.execute(db);
  const ids = claimed.rows.map((r) => r.id);
  if (ids.length === 0) return [];
  return await db.selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
    .innerJoin('webhook_endpoints as en', 'en.id', 'd.endpoint_id')
    .select(['d.id', 'd.event_id', 'd.endpoint_id', 'd.attempts', 'en.site_id', 'en.url', 'en.secret_enc', 'ev.body'])
    .where('d.id', 'in', ids).where('d.lease_owner', '=', owner)
    .orderBy('d.event_id').execute();
}

/**
 * Records an attempt's outcome, only while `owner` still holds the lease (a dispatcher whose lease
 * ran out and was taken over changes nothing). `status`: delivered, pending again at `nextAt`, or
 * failed (given up).
 */
export async function finishDelivery(db: Executor, outcome: {
  id: string; owner: string; now: number; status: DeliveryStatus; nextAt: number; httpStatus: number | null; error: string | null;
}): Promise<boolean> {
  const result = await db.updateTable('webhook_deliveries').set({
    status: outcome.status, next_at: outcome.nextAt, lease_until: 0, lease_owner: null,
    last_status: outcome.httpStatus, last_error: outcome.error, updated_at: outcome.now
  }).where('id', '=', outcome.id).where('lease_owner', '=', outcome.owner).where('status', '=', 'pending').executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The earliest time a pending delivery falls due (for the dispatcher's next wake), or null. */
export async function nextDueAt(db: Executor): Promise<number | null> {
  const row = await db.selectFrom('webhook_deliveries').select((eb) => eb.fn.min('next_at').as('at'))
    .where('status', '=', 'pending').executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

export async function insertEndpoint(db: Executor, row: EndpointRow, onConflict: 'nothing' | 'update'): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).onConflict((oc) => onConflict === 'nothing'
    ? oc.columns(['site_id', 'url']).doNothing()
    : oc.columns(['site_id', 'url']).doUpdateSet({ secret_enc: row.secret_enc, fingerprint: row.fingerprint, events: row.events })).execute();
}

export async function endpointsOfSite(db: Executor, siteId: string): Promise<EndpointRow[]> {
  return await db.selectFrom('webhook_endpoints').selectAll().where('site_id', '=', siteId).orderBy('created_at').orderBy('id').execute();
}

export async function endpointByUrl(db: Executor, siteId: string, url: string): Promise<EndpointRow | undefined> {
  return await db.selectFrom('webhook_endpoints').selectAll().where('site_id', '=', siteId).where('url', '=', url).executeTakeFirst();
}

/** Deletes an endpoint and its deliveries (its events stay for other endpoints). */
export async function deleteEndpoint(db: Executor, id: string): Promise<boolean> {
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export interface DeliveryListing {
  id: string;
  event_id: string;
  type: string;
  session_id: string;
  endpoint_id: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  next_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A site's deliveries, newest event first. */
export async function deliveriesOfSite(db: Executor, siteId: string, options: { status?: DeliveryStatus; limit: number }): Promise<DeliveryListing[]> {
  let query = db.selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
    .innerJoin('webhook_endpoints as en', 'en.id', 'd.endpoint_id')
    .select(['d.id', 'd.event_id', 'ev.type', 'ev.session_id', 'd.endpoint_id', 'en.url', 'd.status', 'd.attempts', 'd.next_at',
      'd.last_status', 'd.last_error', 'ev.created_at', 'd.updated_at'])
    .where('en.site_id', '=', siteId);
  if (options.status !== undefined) query = query.where('d.status', '=', options.status);
  return await query.orderBy('d.event_id', 'desc').orderBy('d.endpoint_id').limit(options.limit).execute();
}

/** Makes an event's deliveries (or one endpoint's) pending again, due now, with the same id. */
export async function replayEvent(db: Executor, eventId: string, endpointId: string | null, now: number): Promise<number> {
  let query = db.updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_at: now, lease_until: 0, lease_owner: null, last_error: null, updated_at: now })
    .where('event_id', '=', eventId);
  if (endpointId !== null) query = query.where('endpoint_id', '=', endpointId);
  return Number((await query.executeTakeFirst()).numUpdatedRows);
}

/**
 * Sessions of sites with endpoints that expired in (since, now] and whose end no event reported
 * yet (the sweep reports them as `session.ended`, reason `expired`).
 */
export async function unreportedExpiries(db: Executor, options: { now: number; since: number; limit: number }): Promise<Array<{ id: string; site_id: string }>> {
  return await db.selectFrom('sessions').select(['id', 'site_id'])
    .where('expires_at', '<=', options.now).where('expires_at', '>', options.since)
    .where('site_id', 'in', db.selectFrom('webhook_endpoints').select('site_id'))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_events as e').select('e.id')
      .whereRef('e.session_id', '=', 'sessions.id').where('e.type', '=', 'session.ended').whereRef('e.created_at', '>=', 'sessions.expires_at'))))
    .limit(options.limit).execute();
}

/** Forgets finished deliveries, and events without deliveries, older than `before`. */
export async function pruneWebhooks(db: Executor, before: number): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('status', '!=', 'pending').where('updated_at', '<', before).execute();
  await db.deleteFrom('webhook_events').where('created_at', '<', before)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'))))
    .execute();
}

/** Removes a site's endpoints, deliveries and events (the site itself is going). */
export async function deleteSiteWebhooks(db: Executor, siteId: string): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', 'in', db.selectFrom('webhook_endpoints').select('id').where('site_id', '=', siteId)).execute();
  await db.deleteFrom('webhook_events').where('site_id', '=', siteId).execute();
  await db.deleteFrom('webhook_endpoints').where('site_id', '=', siteId).execute();
}
