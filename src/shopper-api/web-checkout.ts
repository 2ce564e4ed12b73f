import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Ctx } from '../domain/context.js';
import { createHandoff } from '../domain/cart.js';
import { checkReturnUrl, rememberHandoffReturn } from '../domain/returns.js';
import { param, readParams } from '../http/params.js';
import { authenticate, checkGetNavigation, checkPostOrigin, isLimitedOnSignedIn, LOCALE } from './caller.js';
import { applyCartBody } from './cart-body.js';
import { shopperRoute } from './route.js';

/** …/carts/active/web-checkout: a 302 to the hosted cart page with a one-time handoff code. */
export function webCheckoutRoutes(app: FastifyInstance, ctx: Ctx, config: Config): void {
  // Web checkout: a handoff code in a top-level navigation to the hosted cart page.
  shopperRoute(app, {
    method: ['GET', 'POST'], url: '/v1/shoppers/me/carts/active/web-checkout',
    handler: async (request, reply) => {
      const params = readParams(request, 'cart');
      // The way back (`returnUrl`) is checked with the origin, before anything is counted or changed.
      const returnUrl = param(params, 'returnUrl');
      const caller = await authenticate(ctx, request, reply, params, (site) => {
        if (request.method === 'POST') checkPostOrigin(request, site);
        else checkGetNavigation(request, site);
        if (returnUrl !== undefined) checkReturnUrl(site, returnUrl);
      });
      if (request.method === 'POST') {
        await applyCartBody(ctx, caller, request);
      }
      const store = config.publicStoreURL.replace(/\/$/, '');
      const locale = LOCALE.test(caller.session.locale) ? caller.session.locale : caller.site.locale;
      const page = `${store}/store/${encodeURIComponent(caller.site.id)}/${encodeURIComponent(locale)}/DisplayThreePgCheckoutShoppingCartPage`;
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      if (isLimitedOnSignedIn(caller)) {
        // A handoff would put whichever browser follows it on the signed-in session, where the
        // hosted pages order in the shopper's name: a limited token cannot confer that. The
        // browser that is already on this session (its cookie) sees it at the plain page URL.
        return reply.redirect(page, 302);
      }
      const code = await createHandoff(ctx, caller.session);
      // The handoff remembers the way back and the key that asked (its return code is bound to it).
      const back = returnUrl ?? caller.site.return_url;
      if (back !== null) await rememberHandoffReturn(ctx, code, back, caller.token.api_key);
      return reply.redirect(`${page}?handoff=${code}`, 302);
    }
  });
}
