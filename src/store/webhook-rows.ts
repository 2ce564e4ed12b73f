/** The webhook tables (migration 0005_webhooks); times are unix milliseconds. */

export interface WebhookEndpointTable {
  id: string;
  site_id: string;
  url: string;
  /** The signing secret, AES-256-GCM encrypted under a key derived from the server secret. */
  secret_enc: string;
  /** A short SHA-256 prefix of the secret, for operators to tell secrets apart. */
  fingerprint: string;
  /** `,type,type,` (the events subscribed to), or null for all of them. */
  events: string | null;
  created_at: number;
}

export interface WebhookEventTable {
  /** `msg_…`: the webhook-id, sorted by time of the change. */
  id: string;
  site_id: string;
  session_id: string;
  type: string;
  /** The JSON body as signed and sent: `{"type","timestamp","data"}`. */
  body: string;
  created_at: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTable {
  /** `endpoint_id:event_id`. */
  id: string;
  event_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  /** Not tried before this time (backoff). */
  next_at: number;
  /** A dispatcher holds it until this time; 0 when nobody does. */
  lease_until: number;
  lease_owner: string | null;
  /** The HTTP status of the last attempt (null: no answer). */
  last_status: number | null;
  last_error: string | null;
  updated_at: number;
}
