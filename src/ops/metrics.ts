import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import { constantTimeEqual } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import { countLiveSessions } from '../domain/sessions.js';
import { ServiceError } from '../errors.js';
import type { GrantEvent } from '../oauth/token-endpoint.js';

export interface Metrics {
  registry: Registry;
  /** The token endpoint's GrantEvent hook. */
  onGrant: (event: GrantEvent) => void;
}

/** The wire error code an error becomes (the same mapping the error handler renders). */
function codeOf(err: Error): string {
  if (err instanceof ServiceError) return err.code;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return status === 404 ? 'resource-not-found' : 'invalid_request';
  }
  return 'server_error';
}

/**
 * The number of live sessions, counted at most once per `refreshMs` (of the app's clock) however
 * many scrapers ask: a scrape within the interval gets the last count; the first scrape after it
 * starts one count, and every scrape meanwhile waits for that same one. Counting a million
 * sessions takes ~20 ms of the main thread; per scrape, eight scrapers slowed every API call.
 */
function liveSessionCount(ctx: Ctx, refreshMs: number, onError: (err: unknown) => void): () => Promise<number> {
  let value = 0;
  let countedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | null = null;
  async function count(): Promise<void> {
    try {
      value = await countLiveSessions(ctx, ctx.now());
    } catch (err) {
      onError(err);
    } finally {
      inFlight = null;
    }
  }
  return async () => {
    if (inFlight === null && ctx.now() - countedAt >= refreshMs) {
      // Stamped at the start, so a failing count is not retried by every scrape either.
      countedAt = ctx.now();
      inFlight = count();
    }
    if (inFlight !== null) await inFlight;
    return value;
  };
}

/** 401 unless the request carries `Authorization: Bearer <token>` (compared in constant time). */
function checkMetricsToken(token: string, request: FastifyRequest): void {
  const header = request.headers.authorization ?? '';
  const given = header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).trim() : '';
  if (!constantTimeEqual(given, token)) {
    throw new ServiceError(401, 'invalid_token', 'The metrics need their bearer token', { 'www-authenticate': 'Bearer realm="metrics"' });
  }
}

/**
 * Prometheus metrics (`GET /metrics`). One registry per app, never the global
 * default, so many apps (tests) can live in one process. Call before the routes are added.
 * `/metrics` is served by `server`: the app itself, or a separate server on METRICS_PORT; with
 * METRICS_TOKEN it answers only that bearer token.
 */
export function installMetrics(app: FastifyInstance, ctx: Ctx, config: Config, server: FastifyInstance = app): Metrics {
  const registry = new Registry();
  const grants = new Counter({
    name: 'sessionlink_token_grants_total',
    help: 'Token endpoint requests that reached a grant, by grant type and result',
    labelNames: ['grant', 'result'] as const,
    registers: [registry]
  });
  const failures = new Counter({
    name: 'sessionlink_errors_total',
    help: 'Error responses by wire error code',
    labelNames: ['code', 'status'] as const,
    registers: [registry]
  });
  const latency = new Histogram({
    name: 'sessionlink_http_request_duration_seconds',
    help: 'Request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  });
  new Gauge({
    name: 'sessionlink_sessions_live',
    help: 'Sessions whose expiry lies in the future',
    registers: [registry],
    async collect() {
      this.set(await liveSessions());
    }
  });
  const liveSessions = liveSessionCount(ctx, (config.metricsRefreshSeconds ?? 15) * 1000,
    (err) => app.log.error({ err }, 'counting live sessions for /metrics failed'));
  const token = config.metricsToken ?? null;

  const errorCodes = new WeakMap<FastifyRequest, string>();
  app.addHook('onError', (request, _reply, err, done) => {
    errorCodes.set(request, codeOf(err));
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
    if (status >= 400) {
      const code = errorCodes.get(request) ?? (status === 404 ? 'resource-not-found' : `http_${status}`);
      failures.inc({ code, status: String(status) });
    }
    done();
  });

  server.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (request, reply) => {
    if (token !== null) checkMetricsToken(token, request);
    const text = await registry.metrics();
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
  });

  return { registry, onGrant: (event) => grants.inc({ grant: event.grant, result: event.result }) };
}
