import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { getSite, type Site } from '../domain/sites.js';
import type { IssuedTokens } from '../domain/tokens.js';
import { InvalidClient, MethodNotAllowed, UnsupportedGrantType } from '../errors.js';
import { authenticateClient, type AuthenticatedClient } from './client-auth.js';
import { readParams, requireParam, type Params } from '../http/params.js';
import { oauthFormat, sendDocument } from '../http/render.js';
import { tokenDocument } from './token-document.js';
import type { Limiter } from '../limits/failures.js';
import { noteCorsSite } from '../http/cors.js';
import { authorizationCode } from './grants/authorization-code.js';
import { clientCredentials } from './grants/client-credentials.js';
import type { Grant } from './grants/grant.js';
import { password } from './grants/password.js';
import { refreshToken } from './grants/refresh-token.js';

export interface GrantEvent {
  grant: string;
  result: 'issued' | 'failed';
}

/** The grant types the token endpoint serves, one file each under grants/. */
const GRANTS: Record<string, Grant> = {
  password,
  client_credentials: clientCredentials,
  refresh_token: refreshToken,
  authorization_code: authorizationCode
};

/**
 * Runs one token request, in named steps: authenticate the client (guessing limits included),
 * find its site, pick the grant, run it; every grant that was tried is reported to `onEvent`.
 */
export async function runTokenRequest(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, params: Params, limiter: Limiter, onEvent?: (event: GrantEvent) => void): Promise<IssuedTokens> {
  const client = await authenticateClient(ctx, request, params, limiter, (site) => noteCorsSite(request, site.id));
  const site = await siteOfClient(ctx, request, client);
  const grantType = requireParam(params, 'grant_type');
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  const name = grant === undefined ? 'unsupported' : grantType;
  try {
    if (grant === undefined) throw new UnsupportedGrantType(grantType);
    const issued = await grant({ ctx, site, client, params, request, reply, limiter });
    onEvent?.({ grant: name, result: 'issued' });
    return issued;
  } catch (err) {
    onEvent?.({ grant: name, result: 'failed' });
    throw err;
  }
}

async function siteOfClient(ctx: Ctx, request: FastifyRequest, client: AuthenticatedClient): Promise<Site> {
  const site = await getSite(ctx, client.key.site_id);
  if (site === null) {
    throw new InvalidClient('Unknown API key');
  }
  noteCorsSite(request, site.id);
  return site;
}

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

export function tokenRoutes(app: FastifyInstance, ctx: Ctx, limiter: Limiter, onEvent?: (event: GrantEvent) => void): void {
  for (const url of ['/oauth20/token', '/oauth20/token.json', '/oauth20/token.xml']) {
    app.post(url, { config: { surface: 'oauth' } }, async (request, reply) => {
      noStore(reply);
      const params = readParams(request);
      const format = oauthFormat(request, params);
      const issued = await runTokenRequest(ctx, request, reply, params, limiter, onEvent);
      return sendDocument(reply, tokenDocument(issued, format), format);
    });
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH'],
      url,
      config: { surface: 'oauth' },
      handler: async () => {
        throw new MethodNotAllowed('POST');
      }
    });
  }
}
