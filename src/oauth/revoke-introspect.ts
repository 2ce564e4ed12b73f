import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import type { Ctx } from '../domain/context.js';
import { findAccessToken, liveRefreshToken, revokeAccessToken, revokeRefreshToken, validateAccessToken } from '../domain/tokens.js';
import { InvalidClient, MethodNotAllowed } from '../errors.js';
import { authenticateClient } from './client-auth.js';
import type { Limiter } from '../limits/failures.js';
import { noteCorsSite } from '../http/cors.js';
import { param, readParams, requireParam } from '../http/params.js';
import { sendDocument } from '../http/render.js';

type Hint = 'access_token' | 'refresh_token';

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/** The order to try token kinds in: the hinted kind first; an unknown hint is ignored (RFC 7009 §2.1). */
function kindsFor(hint: string | undefined): Hint[] {
  return hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
}

async function liveAccessToken(ctx: Ctx, raw: string): Promise<Awaited<ReturnType<typeof validateAccessToken>> | null> {
  try {
    return await validateAccessToken(ctx, raw);
  } catch {
    return null;
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Standard OAuth extras: RFC 7009 revocation, RFC 7662 introspection, RFC 8414 metadata. */
export function oauthExtrasRoutes(app: FastifyInstance, ctx: Ctx, config: Config, limiter: Limiter): void {
  app.post('/oauth20/revoke', {
    config: { surface: 'oauth' },
    schema: { summary: 'Revoke an access or refresh token (RFC 7009)', tags: ['oauth'] }
  }, async (request, reply) => {
    noStore(reply);
    const params = readParams(request);
    // A browser app revokes its own tokens: CORS as on the other Bearer routes, narrowed by its site.
    const client = await authenticateClient(ctx, request, params, limiter, (site) => noteCorsSite(request, site.id));
    const raw = requireParam(params, 'token');
    for (const kind of kindsFor(param(params, 'token_type_hint'))) {
      if (kind === 'access_token') {
        // Any state: revoking an expired access token still kills the refresh token issued
        // with it (a registered shopper's could otherwise continue on a new session).
        const found = await findAccessToken(ctx, raw);
        if (found !== null) {
          // Only the client the token was issued to may revoke it; anyone else gets the same 200.
          if (found.api_key === client.key.key) await revokeAccessToken(ctx, found);
          break;
        }
      } else if (await revokeRefreshToken(ctx, raw, client.key.key)) {
        break;
      }
    }
    // RFC 7009 §2.2: 200 whether or not the token was known.
    return reply.code(200).type('application/json; charset=utf-8').send('{}');
  });

  app.post('/oauth20/introspect', {
    config: { surface: 'oauth' },
    schema: { summary: 'Introspect a token (RFC 7662, confidential keys)', tags: ['oauth'] }
  }, async (request, reply) => {
    noStore(reply);
    const params = readParams(request);
    const client = await authenticateClient(ctx, request, params, limiter);
    if (!client.confidential) {
      throw new InvalidClient('Introspection needs a confidential client');
    }
    const raw = requireParam(params, 'token');
    const siteId = client.key.site_id;
    for (const kind of kindsFor(param(params, 'token_type_hint'))) {
      if (kind === 'access_token') {
        const live = await liveAccessToken(ctx, raw);
        if (live === null) continue;
        if (live.token.site_id !== siteId) break;
        const { token, session } = live;
        return sendDocument(reply, {
          active: true,
          client_id: token.api_key,
          token_type: 'bearer',
          exp: seconds(session.expires_at),
          iat: seconds(token.created_at),
          sub: token.kind === 'full' && session.shopper_id !== null ? session.shopper_id : 'Anonymous',
          scope: token.kind,
          session_id: session.id,
          site_id: token.site_id
        }, 'json');
      }
      const live = await liveRefreshToken(ctx, raw);
      if (live === null) continue;
      if (live.row.site_id !== siteId) break;
      const { row } = live;
      return sendDocument(reply, {
        active: true,
        client_id: row.api_key,
        token_type: 'refresh_token',
        exp: seconds(row.expires_at),
        iat: seconds(row.created_at),
        sub: row.kind === 'full' && row.shopper_id !== null ? row.shopper_id : 'Anonymous',
        scope: row.kind,
        session_id: live.session?.id ?? row.session_id,
        site_id: row.site_id
      }, 'json');
    }
    return sendDocument(reply, { active: false }, 'json');
  });

  for (const url of ['/oauth20/revoke', '/oauth20/introspect']) {
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH'],
      url,
      config: { surface: 'oauth' },
      schema: { hide: true },
      handler: async () => {
        throw new MethodNotAllowed('POST');
      }
    });
  }

  app.get('/.well-known/oauth-authorization-server', {
    config: { surface: 'oauth' },
    schema: { summary: 'Authorization server metadata (RFC 8414)', tags: ['oauth'] }
  }, async (_request, reply) => {
    noStore(reply);
    const issuer = config.publicApiURL;
    const clientAuth = ['client_secret_basic', 'client_secret_post'];
    return sendDocument(reply, {
      issuer,
      token_endpoint: `${issuer}/oauth20/token`,
      revocation_endpoint: `${issuer}/oauth20/revoke`,
      introspection_endpoint: `${issuer}/oauth20/introspect`,
      // authorization_code: the return codes of the hosted checkout's way back (there is no
      // authorization endpoint: web-checkout starts the round trip).
      grant_types_supported: ['password', 'client_credentials', 'refresh_token', 'authorization_code'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: [...clientAuth, 'none'],
      revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
      introspection_endpoint_auth_methods_supported: clientAuth,
      service_documentation: `${issuer}/docs`
    }, 'json');
  });
}
