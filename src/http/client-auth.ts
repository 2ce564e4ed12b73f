import type { FastifyRequest } from 'fastify';
import { checkKeySecret, getApiKey, type ApiKey } from '../domain/sites.js';
import { keyOfAccessToken } from '../domain/tokens.js';
import type { Ctx } from '../domain/context.js';
import { InvalidClient } from '../errors.js';
import { param, type Params } from './params.js';

export interface AuthenticatedClient {
  key: ApiKey;
  /** True only when a confidential key proved its secret. */
  confidential: boolean;
}

function formDecode(value: string): string {
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

async function byKeyAndSecret(ctx: Ctx, keyName: string, secret: string): Promise<AuthenticatedClient> {
  const key = keyName === '' ? null : await getApiKey(ctx, keyName);
  if (key === null) {
    throw new InvalidClient('Unknown API key');
  }
  if (secret === '') {
    if (key.type === 'confidential') {
      throw new InvalidClient('A confidential key must authenticate with its secret');
    }
    return { key, confidential: false };
  }
  if (!checkKeySecret(ctx, key, secret)) {
    throw new InvalidClient('Wrong client secret');
  }
  return { key, confidential: key.type === 'confidential' };
}

/**
 * Client authentication on the token endpoint: Basic key:secret, Basic key:,
 * client_id (+ client_secret, RFC 6749 §2.3.1), or Bearer with a live access token, which
 * counts as that token's key's public credentials.
 */
export async function authenticateClient(ctx: Ctx, request: FastifyRequest, params: Params): Promise<AuthenticatedClient> {
  const header = request.headers.authorization;
  if (header !== undefined && header !== '') {
    const space = header.indexOf(' ');
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) {
        throw new InvalidClient('Malformed Basic credentials');
      }
      return await byKeyAndSecret(ctx, formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1)));
    }
    if (scheme === 'bearer') {
      const keyName = value === '' ? null : await keyOfAccessToken(ctx, value);
      if (keyName === null) {
        throw new InvalidClient('The bearer token is not a live access token');
      }
      const key = await getApiKey(ctx, keyName);
      if (key === null) {
        throw new InvalidClient('Unknown API key');
      }
      return { key, confidential: false };
    }
    throw new InvalidClient('Unsupported authorization scheme');
  }
  const clientId = param(params, 'client_id');
  if (clientId !== undefined) {
    return await byKeyAndSecret(ctx, clientId, params.get('client_secret') ?? '');
  }
  throw new InvalidClient('Client authentication required');
}
