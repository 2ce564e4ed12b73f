import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Ctx } from '../domain/context.js';

export function healthRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(ctx.db);
      return { status: 'ready', database: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'down' });
    }
  });
}
