import type { ProductRow } from '../store/rows.js';
import type { Ctx } from './context.js';

export type Product = ProductRow;

/** A site's products in id order, at most `limit` of them when given. */
export async function listProducts(ctx: Ctx, siteId: string, limit?: number): Promise<Product[]> {
  return await ctx.store.catalogue.list(siteId, limit);
}

/** One product of a site, or null. */
export async function findProduct(ctx: Ctx, siteId: string, productId: string): Promise<Product | null> {
  return await ctx.store.catalogue.find(siteId, productId);
}
