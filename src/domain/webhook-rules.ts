import { Type, type Static } from '@sinclair/typebox';

/**
 * What a webhook endpoint may be, for the seed file and the admin command alike: the entry's shape
 * (TypeBox, part of the seed's schema) and the rules a schema cannot say (`webhookProblem`).
 */
export const WEBHOOK_EVENT_NAMES = ['handoff.redeemed', 'session.authenticated', 'session.rekeyed', 'cart.updated', 'order.placed', 'session.ended'] as const;

export const WebhookSeedSchema = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2000 }),
  secret: Type.String({ minLength: 1, maxLength: 200 }),
  events: Type.Optional(Type.Array(Type.Union(WEBHOOK_EVENT_NAMES.map((name) => Type.Literal(name))), { minItems: 1, uniqueItems: true }))
}, { additionalProperties: false });
export type WebhookSeed = Static<typeof WebhookSeedSchema>;

const SECRET_RULE = 'the secret must be "whsec_" followed by the base64 of 24 to 64 random bytes (for example: echo whsec_$(openssl rand -base64 32))';

/** The bytes of a `whsec_…` secret, or null when it is not one (24 to 64 bytes, canonical base64). */
export function secretBytes(secret: string): Buffer | null {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (match === null) return null;
  const bytes = Buffer.from(match[1] as string, 'base64');
  if (bytes.toString('base64') !== match[1] || bytes.length < 24 || bytes.length > 64) return null;
  return bytes;
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts plain http may name (a local relay). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host.split('.').every((part) => Number(part) <= 255);
}

/** Why a webhook URL is refused, or null: https, or http to a loopback address; no user info, no fragment. */
export function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `the URL "${url.slice(0, 200)}" is not an absolute URL; give one such as https://shop.example/hooks`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `the URL must use https, got "${parsed.protocol}"`;
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    return `the URL must use https (plain http only to a loopback address: 127.0.0.0/8, ::1, localhost), got "${url.slice(0, 200)}"`;
  }
  if (parsed.username !== '' || parsed.password !== '') return 'the URL must not carry a user name or password; authenticate the delivery by its signature';
  if (parsed.hash !== '') return 'the URL must not have a #fragment';
  return null;
}

/** Why an endpoint (already of the schema's shape) is refused, or null. */
export function webhookProblem(entry: WebhookSeed): string | null {
  return urlProblem(entry.url) ?? (secretBytes(entry.secret) === null ? SECRET_RULE : null);
}
