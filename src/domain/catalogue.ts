import type { ProductRow } from '../store/rows.js';
import type { Ctx } from './context.js';

export type Product = ProductRow;

/** A site's products in id order, at most `limit` of them when given. */
export async function listProducts(ctx: Ctx, siteId: string, limit?: number): Promise<Product[]> {
  let query = ctx.db.selectFrom('products').selectAll().where('site_id', '=', siteId).orderBy('id');
  if (limit !== undefined) query = query.limit(limit);
  return await query.execute();
}

/** One product of a site, or null. */
export async function findProduct(ctx: Ctx, siteId: string, productId: string): Promise<Product | null> {
  return (await ctx.db.selectFrom('products').selectAll().where('site_id', '=', siteId).where('id', '=', productId).executeTakeFirst()) ?? null;
}
