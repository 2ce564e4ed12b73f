import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import { acceptablePassword, checkEmail, checkUsername, takenConflict, takenField } from '../domain/registration.js';
import { saveProfile, type ShopperChanges } from '../domain/shoppers.js';
import { Forbidden, ShopperInvalidRequest } from '../errors.js';
import { param, readParams } from '../http/params.js';
import { authenticate, CURRENCY, LOCALE, requireShopperAuthority } from './caller.js';
import { shopperDocument } from './documents.js';
import { send, shopperRoute } from './route.js';

/** GET|POST /v1/shoppers/me: the shopper's profile; a limited token may change only locale, currency and ipAddress. */
export function profileRoutes(app: FastifyInstance, ctx: Ctx, me: string): void {
  // Shopper profile.
  shopperRoute(app, {
    method: ['GET', 'POST'], url: '/v1/shoppers/me',
    handler: async (request, reply) => {
      const params = readParams(request, 'shopper');
      const caller = await authenticate(ctx, request, reply, params);
      requireShopperAuthority(caller);
      let session = caller.session;
      if (request.method === 'POST') {
        const profileFields = ['firstName', 'lastName', 'emailAddress', 'username', 'password', 'externalReferenceId'];
        const touched = profileFields.filter((f) => params.has(f));
        if (touched.length > 0 && caller.token.kind !== 'full') {
          throw new Forbidden('A limited token may change only locale, currency and ipAddress');
        }
        const locale = param(params, 'locale');
        const currency = param(params, 'currency');
        const ip = param(params, 'ipAddress');
        if (locale !== undefined && !LOCALE.test(locale)) throw new ShopperInvalidRequest('locale must look like en_US');
        if (currency !== undefined && !CURRENCY.test(currency)) throw new ShopperInvalidRequest('currency must be an ISO 4217 code such as USD');
        if (ip !== undefined && (ip.length > 45 || !/^[0-9A-Fa-f.:]+$/.test(ip))) throw new ShopperInvalidRequest('ipAddress must be an IP address');
        const changes = { locale: locale ?? session.locale, currency: currency ?? session.currency, ip: ip ?? session.ip };
        // A full token may change the login too (Digital River's plugin sends {"shopper":{"password":"<base64>"}}).
        const credentials: ShopperChanges = {};
        const newUsername = param(params, 'username');
        const newPassword = param(params, 'password');
        if (session.shopper_id !== null && newUsername !== undefined) {
          credentials.username = checkUsername(newUsername);
          if (await takenField(ctx, caller.site.id, { username: credentials.username }, session.shopper_id) !== null) throw takenConflict('username');
        }
        if (session.shopper_id !== null && newPassword !== undefined) {
          credentials.password_hash = await hashPassword(acceptablePassword(newPassword));
        }
        let shopper: { id: string; changes: ShopperChanges } | null = null;
        if (session.shopper_id !== null && touched.length > 0) {
          const set: ShopperChanges = {};
          const first = param(params, 'firstName');
          const last = param(params, 'lastName');
          const email = param(params, 'emailAddress');
          if (first !== undefined) set.first_name = first.slice(0, 100);
          if (last !== undefined) set.last_name = last.slice(0, 100);
          if (email !== undefined) {
            set.email = checkEmail(email);
          }
          shopper = { id: session.shopper_id, changes: { ...set, ...credentials } };
        }
        await saveProfile(ctx, session.id, changes, shopper);
        session = { ...session, ...changes };
      }
      return send(request, reply, params, await shopperDocument(ctx, me, session));
    }
  });
}
