import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import type { Config } from './config.js';
import type { DB } from './db/open.js';
import type { Ctx } from './domain/context.js';
import { installErrorHandling } from './http/error-handler.js';
import { installCors } from './http/cors.js';
import { createBudgets } from './http/budgets.js';
import { sessionTokenRoutes } from './routes/session-token.js';
import { tokenRoutes } from './routes/oauth-token.js';
import { createLimiter } from './http/limiter.js';
import { tokenInfoRoutes } from './routes/token-info.js';
import { healthRoutes } from './routes/health.js';
import { oauthExtrasRoutes } from './routes/oauth-extras.js';
import { installMetrics } from './http/metrics.js';
import { AccessLogController, installAccessLog, lazyRequestLogger } from './http/request-logger.js';
import { installDocs } from './http/docs.js';
import { shopperApiRoutes } from './routes/shopper-api.js';
import { storePageRoutes } from './routes/store-pages.js';
import { browserScriptRoutes } from './routes/browser-script.js';

export interface AppOptions {
  config: Config;
  db: DB;
  /** The clock, unix ms; tests pass their own. */
  now?: () => number;
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: Ctx;
    config: Config;
  }
}

/** Builds the HTTP application; does no I/O of its own (the caller opens the database). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    childLoggerFactory: lazyRequestLogger,
    // One access line per request, written when the response is sent (src/http/request-logger.ts).
    logController: options.logger ? new AccessLogController() : undefined,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    // Path parameters are bounded; longer ones get 404.
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true, maxParamLength: 200 }
  });
  const ctx: Ctx = { db, secret: config.secret, now: options.now ?? Date.now };
  app.decorate('ctx', ctx);
  app.decorate('config', config);
  if (options.logger) installAccessLog(app);

  await app.register(formbody, { bodyLimit: config.bodyLimit });
  // Real clients POST an empty body with `Content-Type: application/json` and everything in the
  // query (DR-DOCS §2.1); an empty JSON body is an empty parameter set, not an error.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.bodyLimit }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, {});
      return;
    }
    jsonParser(request, body as string, done);
  });
  // Callback-style hooks: no promise per request on every route.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });

  installErrorHandling(app);
  installCors(app, ctx);
  const budgets = await createBudgets(ctx, config.redisURL);
  app.decorate('budgets', budgets);
  app.addHook('onClose', async () => await budgets.counter.close());
  // Docs and metrics hook into every route, so they come before the routes.
  await installDocs(app, config);
  const metrics = installMetrics(app, ctx);
  const limiter = await createLimiter(config.redisURL);
  app.addHook('onClose', async () => await limiter.close());
  healthRoutes(app, ctx, limiter);
  tokenRoutes(app, ctx, limiter, metrics.onGrant);
  tokenInfoRoutes(app, ctx, new URL(config.publicStoreURL).host);
  oauthExtrasRoutes(app, ctx, config);
  shopperApiRoutes(app, ctx, config);
  // Only the browser-facing routes read cookies, so only they pay for parsing them.
  await app.register(async (store) => {
    await store.register(cookie);
    sessionTokenRoutes(store, ctx, config.publicStoreURL);
    storePageRoutes(store, ctx, config);
  });
  browserScriptRoutes(app);
  return app;
}
