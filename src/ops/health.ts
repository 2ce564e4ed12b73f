import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { databaseAnswers } from '../domain/health.js';
import type { Counters } from '../limits/counters.js';

export function healthRoutes(app: FastifyInstance, ctx: Ctx, counters: Counters): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Readiness: this process's database and (when configured) Redis answer.
  app.get('/readyz', async (_request, reply) => {
    const database = (await databaseAnswers(ctx)) ? 'ok' : 'down';
    const redis = app.config.redisURL === null ? 'not configured' : (await counters.ping()) ? 'ok' : 'down';
    const ready = database === 'ok' && redis !== 'down';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', database, redis });
  });
}
