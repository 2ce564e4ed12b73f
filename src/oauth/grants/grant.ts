import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../domain/context.js';
import type { Site } from '../../domain/sites.js';
import type { IssuedTokens } from '../../domain/tokens.js';
import { UnauthorizedClient } from '../../errors.js';
import { param, type Params } from '../../http/params.js';
import type { Limiter } from '../../limits/failures.js';
import type { AuthenticatedClient } from '../client-auth.js';

/** Everything a grant sees: the request, its parameters, the authenticated client and its site. */
export interface GrantRequest {
  ctx: Ctx;
  site: Site;
  client: AuthenticatedClient;
  params: Params;
  request: FastifyRequest;
  reply: FastifyReply;
  limiter: Limiter;
}

/** One grant type of the token endpoint (one file each in this folder). */
export type Grant = (grant: GrantRequest) => Promise<IssuedTokens>;

/** The session-token exchange rule: a site may demand the app's secret. */
export function checkExchangeAllowed(site: Site, confidential: boolean): void {
  if (site.session_token_exchange === 'confidential' && !confidential) {
    throw new UnauthorizedClient('This site exchanges session tokens only for a confidential client');
  }
}

/** The session a request names (a session token or a limited token), and the caller's address. */
export function sessionRef(params: Params, request: FastifyRequest): { sessionToken?: string; limitedToken?: string; ip: string } {
  const ref: { sessionToken?: string; limitedToken?: string; ip: string } = { ip: request.ip };
  const sessionToken = param(params, 'session_token');
  const limitedToken = param(params, 'dr_limited_token');
  if (sessionToken !== undefined) ref.sessionToken = sessionToken;
  if (limitedToken !== undefined) ref.limitedToken = limitedToken;
  return ref;
}
