import type { DeliveryListing, DeliveryStatus, EndpointRow } from '../store/port.js';
import { AdminError } from './admin.js';
import type { Ctx } from './context.js';
import { getSite } from './sites.js';
import { webhookProblem, type WebhookSeed } from './webhook-rules.js';
import { endpointRowOf } from './webhook-secrets.js';

/** The admin command's view of webhook endpoints and their deliveries (the secret is never shown). */

/** An endpoint as the admin command shows it: never the secret. */
export interface EndpointView {
  id: string;
  site: string;
  url: string;
  events: string[] | 'all';
  fingerprint: string;
  createdAt: string;
}

function viewOf(row: EndpointRow): EndpointView {
  return {
    id: row.id, site: row.site_id, url: row.url, fingerprint: row.fingerprint, createdAt: new Date(Number(row.created_at)).toISOString(),
    events: row.events === null ? 'all' : row.events.split(',').filter((e) => e !== '')
  };
}

async function requireSite(ctx: Ctx, siteId: string): Promise<void> {
  if (await getSite(ctx, siteId) === null) throw new AdminError(`no site "${siteId}"`);
}

export async function listEndpoints(ctx: Ctx, siteId: string): Promise<EndpointView[]> {
  await requireSite(ctx, siteId);
  return (await ctx.store.webhooks.endpointsOf(siteId)).map(viewOf);
}

/** Adds an endpoint; refused (nothing written) when the entry breaks a rule or the site has that URL already. */
export async function addEndpoint(ctx: Ctx, siteId: string, entry: WebhookSeed): Promise<EndpointView> {
  const problem = webhookProblem(entry);
  if (problem !== null) throw new AdminError(problem);
  await requireSite(ctx, siteId);
  if (await ctx.store.webhooks.endpointByUrl(siteId, entry.url) !== null) {
    throw new AdminError(`site "${siteId}" already has an endpoint at ${entry.url}; remove it first to change its secret or events`);
  }
  const row = endpointRowOf(ctx, siteId, entry);
  await ctx.store.webhooks.insertEndpoint(row, 'nothing');
  return viewOf(row);
}

export async function removeEndpoint(ctx: Ctx, endpointId: string): Promise<void> {
  const removed = await ctx.store.webhooks.deleteEndpoint(endpointId);
  if (!removed) throw new AdminError(`no webhook endpoint "${endpointId}"; \`sessionlink webhooks list <site>\` shows their ids`);
}

export type DeliveryView = Omit<DeliveryListing, 'next_at' | 'created_at' | 'updated_at' | 'event_id' | 'session_id' | 'endpoint_id' | 'last_status' | 'last_error'> & {
  event: string; session: string; endpoint: string; httpStatus: number | null; error: string | null; createdAt: string; nextAttemptAt: string | null;
};

export async function listDeliveries(ctx: Ctx, siteId: string, options: { status?: DeliveryStatus; limit: number }): Promise<DeliveryView[]> {
  await requireSite(ctx, siteId);
  return (await ctx.store.webhooks.deliveriesOf(siteId, options)).map((d) => ({
    id: d.id, event: d.event_id, type: d.type, session: d.session_id, endpoint: d.endpoint_id, url: d.url, status: d.status,
    attempts: Number(d.attempts), httpStatus: d.last_status, error: d.last_error, createdAt: new Date(Number(d.created_at)).toISOString(),
    nextAttemptAt: d.status === 'pending' ? new Date(Number(d.next_at)).toISOString() : null
  }));
}

/** Sends an event again (to every endpoint it went to, or one), with the same webhook-id. */
export async function replay(ctx: Ctx, eventId: string, endpointId: string | null): Promise<number> {
  const count = await ctx.store.webhooks.replay(eventId, endpointId, ctx.now());
  if (count === 0) {
    throw new AdminError(`no delivery of event "${eventId}"${endpointId === null ? '' : ` to endpoint "${endpointId}"`}; \`sessionlink webhooks deliveries <site>\` shows them`);
  }
  return count;
}
