import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findProduct, listProducts } from '../domain/catalogue.js';
import type { Ctx } from '../domain/context.js';
import { getApiKey, getSite, type Site } from '../domain/sites.js';
import { InvalidToken, NotFound } from '../errors.js';
import { bearerToken, requireBearerToken } from '../http/bearer.js';
import { noteCorsSite } from '../http/cors.js';
import { param, readParams, type Params } from '../http/params.js';
import { authenticate } from './caller.js';
import { productDocument } from './documents.js';
import { send, shopperRoute } from './route.js';

/** GET /v1/shoppers/me/products[/{id}]: with a token, or a public apiKey alone. */
export function catalogueRoutes(app: FastifyInstance, ctx: Ctx, me: string): void {
  // Catalogue: a token, or a public apiKey alone.
  async function catalogueSite(request: FastifyRequest, reply: FastifyReply, params: Params): Promise<Site> {
    const raw = bearerToken(request, params);
    if (raw === null) {
      const keyName = param(params, 'client_id');
      const key = keyName === undefined ? null : await getApiKey(ctx, keyName);
      if (key === null || key.type !== 'public') {
        // No key either: say what to send (as the other routes do); a wrong key is an unknown token.
        if (keyName === undefined) requireBearerToken(request, params);
        throw new InvalidToken('unknown');
      }
      const site = await getSite(ctx, key.site_id);
      if (site === null) throw new InvalidToken('unknown');
      noteCorsSite(request, site.id);
      request.server.budgets.chargeKey(reply, site, key.key);
      return site;
    }
    return (await authenticate(ctx, request, reply, params)).site;
  }
  shopperRoute(app, {
    method: 'GET', url: '/v1/shoppers/me/products',
    handler: async (request, reply) => {
      const params = readParams(request);
      const site = await catalogueSite(request, reply, params);
      const products = await listProducts(ctx, site.id);
      return send(request, reply, params, { products: { uri: `${me}/products`, product: products.map((p) => productDocument(me, site, p)), totalResults: products.length } });
    }
  });
  shopperRoute(app, {
    method: 'GET', url: '/v1/shoppers/me/products/:productId',
    handler: async (request, reply) => {
      const params = readParams(request);
      const site = await catalogueSite(request, reply, params);
      const id = (request.params as { productId: string }).productId.replace(/\.(json|xml)$/i, '');
      const product = await findProduct(ctx, site.id, id);
      if (product === null) throw new NotFound(`Product "${id.slice(0, 64)}" not found`);
      return send(request, reply, params, { product: productDocument(me, site, product) });
    }
  });
}
