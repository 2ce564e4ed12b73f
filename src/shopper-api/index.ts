import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Ctx } from '../domain/context.js';
import { cartRoutes } from './cart.js';
import { catalogueRoutes } from './catalogue.js';
import { orderRoutes } from './orders.js';
import { profileRoutes } from './profile.js';
import { webCheckoutRoutes } from './web-checkout.js';

/**
 * The Shopper API (/v1/shoppers/me/…): profile, catalogue, the active cart, orders and web
 * checkout, one file each; who may call what is in caller.ts, the wire documents in documents.ts.
 */
export function shopperApiRoutes(app: FastifyInstance, ctx: Ctx, config: Config): void {
  const me = `${config.publicApiURL.replace(/\/$/, '')}/v1/shoppers/me`;
  profileRoutes(app, ctx, me);
  catalogueRoutes(app, ctx, me);
  cartRoutes(app, ctx, me);
  orderRoutes(app, ctx, me);
  webCheckoutRoutes(app, ctx, config);
}
