import type { FastifyRequest } from 'fastify';
import { checkKeySecret, getApiKey, getSite, type ApiKey, type Site } from '../domain/sites.js';
import { keyOfAccessToken } from '../domain/tokens.js';
import { hashSecret } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import { InvalidClient, ServiceError } from '../errors.js';
import { DEFAULT_LIMITS, guarded, limitsOf, type GuardCounter } from '../limits/guard.js';
import { counterAddress } from '../http/client-ip.js';
import type { Limiter } from '../limits/failures.js';
import { param, type Params } from '../http/params.js';

export interface AuthenticatedClient {
  key: ApiKey;
  /** True only when a confidential key proved its secret. */
  confidential: boolean;
}

/**
 * One answer for an unknown key, a wrong secret and a confidential key without its secret, so a
 * guesser learns nothing about which key names exist.
 */
export const BAD_CLIENT_CREDENTIALS = 'Unknown API key or wrong client secret';

/** What seed files and the admin command accept as a key name; nothing else is looked up. */
const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function formDecode(value: string): string {
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** The credentials a request presents, decoded once: the name checked is the name counted. */
type Presented =
  | { kind: 'secret'; keyName: string; secret: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'malformed'; description: string };

function presentedCredentials(request: FastifyRequest, params: Params): Presented {
  const header = request.headers.authorization;
  if (header !== undefined && header !== '') {
    const space = header.indexOf(' ');
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return { kind: 'malformed', description: 'Malformed Basic credentials' };
      return { kind: 'secret', keyName: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
    }
    if (scheme === 'bearer') return { kind: 'bearer', token: value };
    return { kind: 'malformed', description: 'Unsupported authorization scheme' };
  }
  const clientId = param(params, 'client_id');
  if (clientId !== undefined) return { kind: 'secret', keyName: clientId, secret: params.get('client_secret') ?? '' };
  return { kind: 'malformed', description: 'Client authentication required' };
}

function checkSecret(ctx: Ctx, key: ApiKey | null, secret: string): AuthenticatedClient {
  if (key === null) {
    // The same hashing as for a known key, so the answer's timing says little either.
    hashSecret(ctx.secret, 'api-key-secret', secret);
    throw new InvalidClient(BAD_CLIENT_CREDENTIALS);
  }
  if (secret === '') {
    if (key.type === 'confidential') throw new InvalidClient(BAD_CLIENT_CREDENTIALS);
    return { key, confidential: false };
  }
  if (!checkKeySecret(ctx, key, secret)) throw new InvalidClient(BAD_CLIENT_CREDENTIALS);
  return { key, confidential: key.type === 'confidential' };
}

async function byBearer(ctx: Ctx, token: string): Promise<AuthenticatedClient> {
  const keyName = token === '' ? null : await keyOfAccessToken(ctx, token);
  if (keyName === null) {
    throw new InvalidClient('The bearer token is not a live access token');
  }
  const key = await getApiKey(ctx, keyName);
  if (key === null) {
    throw new InvalidClient(BAD_CLIENT_CREDENTIALS);
  }
  return { key, confidential: false };
}

const isClientFailure = (err: unknown): boolean => err instanceof ServiceError && err.code === 'invalid_client';

/**
 * Client authentication, wherever a client secret is checked (token endpoint, revocation,
 * introspection): Basic key:secret, Basic key:, client_id (+ client_secret,
 * RFC 6749 §2.3.1), or Bearer with a live access token, which counts as that token's key's public
 * credentials.
 *
 * Every failure is counted per client address (an IPv6 client per /64) and, when the presented
 * name is a real key, per key and per key and address, under the decoded name, so `my%2Dkey` and
 * `my-key` are one counter. While a counter is at its limit the request is refused with 429
 * before any secret is compared, even the right one; the per-key counter refuses only addresses
 * with failures of their own on that key, so a key's server that never failed is still served
 * while guessers elsewhere have locked the key. `onSite` learns the key's site before the check
 * (CORS on errors).
 */
export async function authenticateClient(ctx: Ctx, request: FastifyRequest, params: Params, limiter: Limiter, onSite?: (site: Site) => void): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(request, params);
  const keyName = presented.kind === 'secret' && KEY_NAME.test(presented.keyName) ? presented.keyName : null;
  const key = keyName === null ? null : await getApiKey(ctx, keyName);
  const site = key === null ? null : await getSite(ctx, key.site_id);
  if (site !== null) onSite?.(site);
  const limits = site === null ? DEFAULT_LIMITS : limitsOf(site);
  const address = counterAddress(request.ip);
  const counters: GuardCounter[] = [[`client-ip:${address}`, limits.clientAuthFailuresPerIP]];
  if (key !== null) {
    // Per key and address, and per key for the addresses that failed on it: wrong secrets sprayed
    // from many addresses lock each of them out, never the key's own server, which did not fail.
    const pair = `client-key-ip:${key.key}:${address}`;
    counters.push([pair, limits.clientAuthFailuresPerKey], [`client-key:${key.key}`, limits.clientAuthFailuresPerKey, pair]);
  }
  return await guarded(limiter, ctx.now(), limits.windowSeconds, counters, isClientFailure, async () => {
    switch (presented.kind) {
      case 'secret': return checkSecret(ctx, key, presented.secret);
      case 'bearer': return await byBearer(ctx, presented.token);
      default: throw new InvalidClient(presented.description);
    }
  });
}
