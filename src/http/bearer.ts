import type { FastifyRequest } from 'fastify';
import { InvalidToken } from '../errors.js';
import type { Params } from './params.js';

/** The access token of a request: `Authorization: Bearer …` or the `token` parameter. */
export function bearerToken(request: FastifyRequest, params: Params): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^bearer\s+(\S+)\s*$/i.exec(header);
    if (match !== null) {
      return match[1] as string;
    }
  }
  const token = params.get('token');
  return token === undefined || token === '' ? null : token;
}

/**
 * The access token of a request, or 401 `invalid_token` saying what to send: no token at all, or
 * an `Authorization` header of another scheme (`Basic …`, a bare token).
 */
export function requireBearerToken(request: FastifyRequest, params: Params): string {
  const token = bearerToken(request, params);
  if (token !== null) return token;
  const header = request.headers.authorization?.trim() ?? '';
  throw new InvalidToken(header === '' || /^bearer$/i.test(header) ? 'missing' : 'scheme');
}
