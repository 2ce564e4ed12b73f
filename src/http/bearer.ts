import type { FastifyRequest } from 'fastify';
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
