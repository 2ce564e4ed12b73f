import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { deriveHex, randomHex } from '../crypto.js';
import type { EndpointRow } from '../store/port.js';
import type { Ctx } from './context.js';
import type { WebhookSeed } from './webhook-rules.js';

/**
 * Webhook endpoints: the signing secret must be usable to sign, so it cannot be hashed; it is
 * stored encrypted (AES-256-GCM, a key derived from the server secret, the endpoint's site and URL
 * bound in as associated data), never logged, and shown only as a fingerprint.
 */

function keyOf(serverSecret: string): Buffer {
  return Buffer.from(deriveHex(serverSecret, 'webhook-secret-key', 'aes-256-gcm'), 'hex');
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function encryptSecret(serverSecret: string, aad: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(serverSecret), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** The secret again; throws when the value was not made with this server secret and `aad`. */
export function decryptSecret(serverSecret: string, aad: string, stored: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || ciphertext === undefined) throw new Error('unknown webhook secret format');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(serverSecret), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}

/** What the associated data of an endpoint's secret is: a ciphertext moved to another endpoint does not open. */
export function secretAad(endpoint: { site_id: string; url: string }): string {
  return `${endpoint.site_id}\0${endpoint.url}`;
}

/** `sha256:` and 16 hex characters of the secret's SHA-256: tells secrets apart, reveals nothing usable. */
export function fingerprintOf(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16)}`;
}

/** A new `whsec_` secret of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The stored row of an endpoint entry (already checked). */
export function endpointRowOf(ctx: Ctx, siteId: string, entry: WebhookSeed): EndpointRow {
  return {
    id: `ep_${randomHex(8)}`,
    site_id: siteId,
    url: entry.url,
    secret_enc: encryptSecret(ctx.secret, secretAad({ site_id: siteId, url: entry.url }), entry.secret),
    fingerprint: fingerprintOf(entry.secret),
    events: eventsColumn(entry.events),
    created_at: ctx.now()
  };
}

/** `,a,b,` for a subscription list; null (all events) for none. */
export function eventsColumn(events: readonly string[] | undefined | null): string | null {
  return events === undefined || events === null || events.length === 0 ? null : `,${events.join(',')},`;
}
