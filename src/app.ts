import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import { DEFAULT_TIMEOUTS, type Config } from './config.js';
import type { Store } from './store/port.js';
import type { Ctx } from './domain/context.js';
import { allowedOriginsOf, allSitesOrigins, getApiKey, getSite } from './domain/sites.js';
import { clientError, frameworkError, installErrorHandling } from './http/error-handler.js';
import { installCors } from './http/cors.js';
import { ServiceError } from './errors.js';
import { Budgets } from './limits/budgets.js';
import { openCounters } from './limits/counters.js';
import { sessionTokenRoutes } from './sessions/site-action.js';
import { tokenRoutes } from './oauth/token-endpoint.js';
import { tokenInfoRoutes } from './oauth/token-info.js';
import { healthRoutes } from './ops/health.js';
import { oauthExtrasRoutes } from './oauth/revoke-introspect.js';
import { installMetrics } from './ops/metrics.js';
import { AccessLogController, installAccessLog, lazyRequestLogger } from './http/request-logger.js';
import { installDocs } from './http/docs.js';
import { shopperApiRoutes } from './shopper-api/index.js';
import { registrationRoutes } from './shopper-api/registration.js';
import { hostedCheckoutRoutes } from './hosted-checkout/routes.js';
import { browserScriptRoutes } from './sessions/browser-script.js';
import { homeRoutes } from './ops/home.js';

export interface AppOptions {
  config: Config;
  store: Store;
  /** The clock, unix ms; tests pass their own. */
  now?: () => number;
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: Ctx;
    config: Config;
    /** The separate /metrics server when METRICS_PORT is set (not listening yet), else null. */
    metricsServer: FastifyInstance | null;
  }
}

/**
 * Slow clients cannot hold sockets: the headers must arrive within `headersMs`, the whole request
 * within `requestMs` (else 408 and the socket closes), an idle keep-alive connection closes after
 * `keepAliveMs`, and a socket silent both ways after `idleMs`. Node checks the first two every
 * `connectionsCheckingInterval` (30 s by default), so it is set to a quarter of the shorter one.
 */
function timeoutOptions(timeouts: NonNullable<Config['timeouts']>) {
  return {
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4)))
    }
  };
}

/** Builds the HTTP application; does no I/O of its own (the caller opens the database). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const timeouts = config.timeouts ?? DEFAULT_TIMEOUTS;
  const app = Fastify({
    logger: options.logger ?? false,
    childLoggerFactory: lazyRequestLogger,
    // One access line per request, written when the response is sent (src/http/request-logger.ts).
    logController: options.logger ? new AccessLogController() : undefined,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    // Path parameters are bounded; longer ones get 414 (frameworkError).
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    ...timeoutOptions(timeouts)
  });
  const ctx: Ctx = { store, secret: config.secret, now: options.now ?? Date.now };
  app.decorate('ctx', ctx);
  app.decorate('config', config);
  if (options.logger) installAccessLog(app);

  await app.register(formbody, { bodyLimit: config.bodyLimit });
  // Real clients POST an empty body with `Content-Type: application/json` and everything in the
  // query (as Digital River's own examples do); an empty JSON body is an empty parameter set, not an error.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.bodyLimit }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, {});
      return;
    }
    jsonParser(request, body as string, done);
  });
  // Bodies are forms or JSON; anything else (text/plain included, which Fastify would otherwise
  // read as an opaque string) answers 415 naming the accepted types.
  app.removeContentTypeParser('text/plain');

  installErrorHandling(app);
  // A NUL in a path parameter (`/store/%00/…`) names nothing, and PostgreSQL refuses it in text
  // (a 500): refused as the framework refuses a bad percent-encoding, in the surface's error shape.
  // Attached only to routes that have path parameters, so the hot parameterless routes pay nothing.
  app.addHook('onRoute', (route) => {
    if (!route.url.includes(':')) return;
    const own = route.preValidation;
    route.preValidation = own === undefined ? [refuseNulParams] : [refuseNulParams, ...(Array.isArray(own) ? own : [own])];
  });
  const cors = installCors(app, {
    siteOrigins: async (id) => { const site = await getSite(ctx, id); return site === null ? undefined : allowedOriginsOf(site); },
    keySite: async (name) => (await getApiKey(ctx, name))?.site_id ?? null,
    allSitesOrigins: async () => await allSitesOrigins(ctx)
  });
  // One callback-style onSend for every response (no promise unless CORS has work): nosniff, then CORS.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    const pending = cors(request, reply);
    if (pending === null) done(null, payload);
    else pending.then(() => done(null, payload), (err: Error) => done(err));
  });
  // Every limit counts on these (one Redis client when REDIS_URL is set).
  const counters = await openCounters(ctx.now, config.redisURL);
  app.addHook('onClose', async () => await counters.close());
  app.decorate('budgets', new Budgets(ctx, counters.windows));
  // Docs and metrics hook into every route, so they come before the routes.
  await installDocs(app, config);
  const metricsServer = config.metricsPort === undefined || config.metricsPort === null ? null : Fastify({
    logger: false, frameworkErrors: frameworkError, clientErrorHandler: clientError, ...timeoutOptions(timeouts)
  });
  app.decorate('metricsServer', metricsServer);
  if (metricsServer !== null) {
    installErrorHandling(metricsServer);
    app.addHook('onClose', async () => await metricsServer.close());
  }
  const metrics = installMetrics(app, ctx, config, metricsServer ?? app);
  const limiter = counters.failures;
  healthRoutes(app, ctx, counters);
  tokenRoutes(app, ctx, limiter, metrics.onGrant);
  tokenInfoRoutes(app, ctx, new URL(config.publicStoreURL).host);
  oauthExtrasRoutes(app, ctx, config, limiter);
  shopperApiRoutes(app, ctx, config);
  registrationRoutes(app, ctx, config, limiter);
  // Only the browser-facing routes read cookies, so only they pay for parsing them.
  await app.register(async (store) => {
    await store.register(cookie);
    sessionTokenRoutes(store, ctx, config.publicStoreURL);
    hostedCheckoutRoutes(store, ctx, config, limiter);
  });
  browserScriptRoutes(app);
  homeRoutes(app);
  return app;
}

function refuseNulParams(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  for (const value of Object.values(request.params as Record<string, unknown>)) {
    if (typeof value === 'string' && value.includes('\0')) {
      done(new ServiceError(400, 'invalid_request', 'Malformed request URL'));
      return;
    }
  }
  done();
}
