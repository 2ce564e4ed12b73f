import type { Ctx } from './context.js';

/** True when the database answers a trivial query (readiness). */
export async function databaseAnswers(ctx: Ctx): Promise<boolean> {
  return await ctx.store.ready();
}
