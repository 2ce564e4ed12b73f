import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Ctx } from '../domain/context.js';
import { registerShopper } from '../domain/registration.js';
import { heldByBrowser } from '../domain/sessions.js';
import { getApiKey, getSite, type Site } from '../domain/sites.js';
import { validateAccessToken } from '../domain/tokens.js';
import { Conflict, Forbidden, InvalidToken, ServiceError } from '../errors.js';
import { bearerToken } from '../http/bearer.js';
import { counterAddress } from '../http/client-ip.js';
import type { Limiter } from '../limits/failures.js';
import { guarded, limitsOf } from '../limits/guard.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { noteCorsSite } from '../http/cors.js';
import { param, readParams, type Params } from '../http/params.js';
import { sendDocument, shopperFormat } from '../http/render.js';

interface Registrar {
  site: Site;
  /** A confidential key's caller: its Basic credentials, or a token issued to it. */
  confidential: boolean;
  /**
   * The request proves the site's server, so it may link an externalReferenceId: the key's secret
   * itself, or a token the server got with it on a session of its own. A token on a session a
   * browser holds (the site action's cookie or session token, and every token exchanged or joined
   * on it) is in the browser's hands too, whoever asked for it.
   */
  server: boolean;
}

function noClient(): ServiceError {
  return new ServiceError(401, 'invalid_client', 'Registration needs a public apiKey or an access token of the site');
}

/**
 * Who registers: Basic credentials of a key, or an access token of the site (Bearer or `token`),
 * or a public `apiKey` alone. An `apiKey` next to a token must be of its site.
 */
async function registrar(ctx: Ctx, request: FastifyRequest, params: Params, limiter: Limiter): Promise<Registrar> {
  const header = request.headers.authorization;
  if (header !== undefined && /^basic\s/i.test(header)) {
    const client = await authenticateClient(ctx, request, params, limiter);
    const site = await getSite(ctx, client.key.site_id);
    if (site === null) throw noClient();
    return { site, confidential: client.confidential, server: client.confidential };
  }
  const keyName = param(params, 'client_id');
  const key = keyName === undefined ? null : await getApiKey(ctx, keyName);
  const raw = bearerToken(request, params);
  if (raw !== null) {
    const { token } = await validateAccessToken(ctx, raw);
    const site = await getSite(ctx, token.site_id);
    if (site === null) throw new InvalidToken('unknown');
    if (keyName !== undefined && (key === null || key.site_id !== site.id)) {
      throw new Forbidden('The token belongs to another site');
    }
    const confidential = (await getApiKey(ctx, token.api_key))?.type === 'confidential';
    return { site, confidential, server: confidential && !(await heldByBrowser(ctx, token.session_id)) };
  }
  if (key === null || key.type !== 'public') throw noClient();
  const site = await getSite(ctx, key.site_id);
  if (site === null) throw noClient();
  return { site, confidential: false, server: false };
}

/**
 * `POST /v1/shoppers`: registers a shopper. The body is Digital River's
 * `{"shopper":{"username","password","firstName","lastName","emailAddress","externalReferenceId"}}`,
 * or the same fields flat (form or JSON) or in the query. It signs nobody in; the app then signs
 * the shopper in with the password grant or, given an externalReferenceId, client_credentials.
 */
export function registrationRoutes(app: FastifyInstance, ctx: Ctx, config: Config, limiter: Limiter): void {
  const me = `${config.publicApiURL.replace(/\/$/, '')}/v1/shoppers/me`;
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    reply.header('cache-control', 'no-store');
    const params = readParams(request, 'shopper');
    const { site, confidential, server } = await registrar(ctx, request, params, limiter);
    noteCorsSite(request, site.id);
    const requested = param(params, 'externalReferenceId');
    if (requested !== undefined && !confidential) {
      // The partner's id is the partner's word for who a shopper is (client_credentials signs that
      // shopper in): a browser holding a public key must not claim one in advance.
      throw new Forbidden('Only the site\'s server (a confidential key, or a token issued to one) may link an externalReferenceId');
    }
    // A confidential key's token on a browser's session (Digital River's plugin registers with the
    // very token its pages hold): the shopper is registered, the id is not linked (the answer's
    // externalReferenceId is empty). The partner's first client_credentials sign-in with that id
    // then makes the shopper it names, as for any id not yet seen; nobody can claim it in advance.
    const externalReferenceId = server ? requested : undefined;
    // Every attempt counts, refused ones too: the same per-IP and per-site budgets as new guest sessions.
    await app.budgets.admitGuest(request, reply, site);
    // A 409 says a username (or partner id) exists, which a failed login never does: each one
    // counts as a failed guess on the client address's login counter, so registration is no
    // faster an oracle than the password grant.
    const limits = limitsOf(site);
    const shopper = await guarded(limiter, ctx.now(), limits.windowSeconds,
      [[`login-ip:${counterAddress(request.ip)}`, limits.loginFailuresPerIP]], (err) => err instanceof Conflict,
      async () => await registerShopper(ctx, site, {
        username: param(params, 'username'),
        password: param(params, 'password'),
        firstName: param(params, 'firstName'),
        lastName: param(params, 'lastName'),
        emailAddress: param(params, 'emailAddress'),
        externalReferenceId
      }));
    const document = {
      shopper: {
        id: shopper.id, uri: me, username: shopper.username, externalReferenceId: shopper.externalReferenceId ?? '',
        firstName: shopper.firstName, lastName: shopper.lastName, emailAddress: shopper.emailAddress,
        locale: site.locale, currency: site.currency
      }
    };
    return sendDocument(reply, document, shopperFormat(request, params), 201);
  };
  for (const url of ['/v1/shoppers', '/v1/shoppers.json', '/v1/shoppers.xml']) {
    app.route({ method: 'POST', url, config: { surface: 'shopper' }, handler });
  }
}
