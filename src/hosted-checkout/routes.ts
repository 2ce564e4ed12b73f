import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { addProduct, getActiveCart, lastOrderOfSession, parseQuantity, removeLines, submitCart, updateLine } from '../domain/cart.js';
import { listProducts } from '../domain/catalogue.js';
import type { Ctx } from '../domain/context.js';
import type { Session } from '../domain/sessions.js';
import { getSite } from '../domain/sites.js';
import { returnLinkAfterOrder, returnTargetOf } from '../domain/returns.js';
import { Forbidden, MethodNotAllowed, NotFound, printable, ServiceError } from '../errors.js';
import { browserSession } from '../sessions/browser-session.js';
import { PAGE_CSP, sendPage } from '../http/html.js';
import { couldBeId, param, readParams, type Params } from '../http/params.js';
import type { Limiter } from '../limits/failures.js';
import { csrfTokenOf, FORM_EXPIRED, FORM_RESUBMIT, isValidCSRF } from './csrf.js';
import { followHandoff, SPENT_HANDOFF, switchSession } from './handoff.js';
import { readPaymentForm } from './payment-form.js';
import { accountOf, signIn, signOut } from './sign-in.js';
import { cartPage } from './templates/cart.js';
import { errorPage } from './templates/error.js';
import { CART_PAGE, pageURL, PAYMENT_PAGE, THANK_YOU_PAGE, type PageState } from './templates/layout.js';
import { paymentPage } from './templates/payment.js';
import { thankYouPage } from './templates/thank-you.js';

const PAGES = new Set([CART_PAGE, PAYMENT_PAGE, THANK_YOU_PAGE]);
const LOCALE = /^[a-z]{2}(_[A-Z]{2})?$/;

/** The hosted checkout: GET shows a page, POST is one of its forms (CSRF-checked); a handoff code seats the browser first. */
export function hostedCheckoutRoutes(app: FastifyInstance, ctx: Ctx, config: Config, limiter: Limiter): void {
  const store = config.publicStoreURL.replace(/\/$/, '');

  /** The page `page` for this session, as a GET shows it. */
  async function render(state: PageState, page: string, session: Session, values: Params = new Map()): Promise<string> {
    if (page === CART_PAGE) return cartPage(state, (await getActiveCart(ctx, session)).view, await listProducts(ctx, state.site.id, 50));
    if (page === PAYMENT_PAGE) return paymentPage(state, (await getActiveCart(ctx, session)).view, values);
    // After an order, the way back carries the order and a new return code (when a key is known).
    const order = await lastOrderOfSession(ctx, session);
    const target = order === null ? null : await returnTargetOf(ctx, state.site, session);
    const back = order === null || target === null ? state.back : await returnLinkAfterOrder(ctx, session, order.id, target);
    return thankYouPage({ ...state, back }, order);
  }

  /** The cart page's forms: add, update, remove; a refusal shows the cart with the error. */
  async function postCart(reply: FastifyReply, state: PageState, params: Params): Promise<FastifyReply> {
    const { session, site, locale } = state;
    try {
      const action = params.get('action') ?? '';
      const lineItemId = param(params, 'lineItemId') ?? '';
      if (action === 'add') {
        await addProduct(ctx, session, param(params, 'productId') ?? '', parseQuantity(param(params, 'quantity'), 1), null, 'hosted');
      } else if (action === 'update') {
        await updateLine(ctx, session, lineItemId, parseQuantity(param(params, 'quantity')), 'update', null, 'hosted');
      } else if (action === 'remove') {
        await removeLines(ctx, session, lineItemId, null, 'hosted');
      } else {
        throw new ServiceError(400, 'invalid-request', 'Unknown cart action');
      }
    } catch (err) {
      if (err instanceof ServiceError && err.status < 500) {
        return sendPage(reply, await render({ ...state, error: err.description }, CART_PAGE, session), err.status);
      }
      throw err;
    }
    return reply.redirect(pageURL(site, locale, CART_PAGE), 303);
  }

  /** The payment form: checked, then the order is placed against the cart version it showed. */
  async function postPayment(reply: FastifyReply, state: PageState, params: Params): Promise<FastifyReply> {
    const { session, site, locale } = state;
    const form = readPaymentForm(params, ctx.now());
    const { view } = await getActiveCart(ctx, session);
    if (form.errors.size > 0) {
      const error = `Please correct ${form.errors.size === 1 ? 'the field' : `the ${form.errors.size} fields`} marked below: ${[...form.errors.values()].join('; ')}.`;
      return sendPage(reply, paymentPage({ ...state, error }, view, params, form.errors), 400);
    }
    try {
      await submitCart(ctx, session, { channel: 'web', address: form.address, payment: { method: 'test-card', last4: form.last4 } }, form.version);
    } catch (err) {
      if (err instanceof ServiceError && err.status === 409) {
        const fresh = (await getActiveCart(ctx, session)).view;
        return sendPage(reply, paymentPage({ ...state, error: 'Your cart changed while you were checking out (or is empty). Please review it and place the order again.' }, fresh, params), 409);
      }
      throw err;
    }
    return reply.redirect(pageURL(site, locale, THANK_YOU_PAGE), 303);
  }

  /**
   * A form whose CSRF field is missing or wrong, from a browser with a live session: nothing
   * changes, and the same form comes back (with this session's field) keeping what the shopper
   * typed, except the card number and security code, which are never echoed.
   */
  async function refuseForm(reply: FastifyReply, state: PageState, page: string, params: Params): Promise<FastifyReply> {
    const signingIn = params.get('action') === 'sign-in' && (page === CART_PAGE || page === PAYMENT_PAGE);
    const account = signingIn && state.account !== undefined ? { ...state.account, username: (params.get('username') ?? '').slice(0, 200) } : state.account;
    if (!signingIn && page !== CART_PAGE && !(page === PAYMENT_PAGE && params.get('action') === undefined)) throw new Forbidden(FORM_EXPIRED);
    const payment = page === PAYMENT_PAGE && !signingIn;
    const error = FORM_RESUBMIT + (payment ? ' Enter the card number and security code again.' : '');
    return sendPage(reply, await render({ ...state, account, error }, page, state.session, payment ? params : new Map()), 403);
  }

  /** Every refusal on a hosted page is a page of the store (its header and a way back to the cart). */
  async function styledError(err: Error, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!(err instanceof ServiceError) || err.status >= 500) throw err;
    const { siteId, locale } = request.params as { siteId?: string; locale?: string };
    const site = siteId !== undefined && couldBeId(siteId) ? await getSite(ctx, siteId) : null;
    for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
    reply.header('cache-control', 'no-store');
    return sendPage(reply, errorPage(site, locale !== undefined && LOCALE.test(locale) ? locale : 'en_US', err.status, err.description), err.status);
  }

  app.route({
    method: ['GET', 'POST'],
    url: '/store/:siteId/:locale/:page',
    config: { surface: 'page' },
    errorHandler: styledError,
    onRequest: async (_request, reply) => {
      reply.header('content-security-policy', PAGE_CSP);
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
    },
    handler: async (request, reply) => {
      const { siteId, locale, page } = request.params as { siteId: string; locale: string; page: string };
      if (!PAGES.has(page) || !LOCALE.test(locale)) {
        throw new NotFound('No such page');
      }
      const site = couldBeId(siteId) ? await getSite(ctx, siteId) : null;
      if (site === null) {
        throw new NotFound(`Unknown store "${printable(siteId)}"`);
      }
      const params = readParams(request);
      let notice: string | null = null;
      const handoff = params.get('handoff');
      if (request.method === 'GET' && handoff !== undefined) {
        const answered = await followHandoff(ctx, store, request, reply, site, locale, page, handoff);
        if (answered !== null) return answered;
        notice = SPENT_HANDOFF;
      }
      // A form post without a live session cannot carry a valid CSRF token: refuse it before a
      // session is made, so the refusal changes nothing. A new session on GET counts against the
      // guest budgets like the site action's.
      const session = await browserSession(ctx, request, reply, site, request.method === 'POST'
        ? async () => { throw new Forbidden(FORM_EXPIRED); }
        : async () => await app.budgets.admitGuest(request, reply, site));
      const back = (await returnTargetOf(ctx, site, session))?.returnUrl ?? null;
      const state: PageState = { site, locale, session, csrf: csrfTokenOf(ctx, session), notice, error: null, account: await accountOf(ctx, session), back };
      if (request.method === 'GET') return sendPage(reply, await render(state, page, session));

      if (!isValidCSRF(state.csrf, params)) return await refuseForm(reply, state, page, params);
      const action = params.get('action');
      if (action === 'sign-in' && (page === CART_PAGE || page === PAYMENT_PAGE)) {
        const refused = await signIn(ctx, limiter, request, reply, state, params);
        if (refused !== null) return sendPage(reply, await render({ ...state, account: refused.account }, page, session), refused.status);
        return reply.redirect(pageURL(site, locale, page), 303);
      }
      if (action === 'sign-out') {
        await signOut(ctx, request, reply, state);
        return reply.redirect(pageURL(site, locale, page === THANK_YOU_PAGE ? CART_PAGE : page), 303);
      }
      if (action === 'switch-session') {
        if (!(await switchSession(ctx, request, reply, site, params.get('handoff') ?? ''))) {
          const expired = { ...state, notice: 'That checkout link has expired or was already used. You are still in your own session.' };
          return sendPage(reply, await render(expired, page, session));
        }
        return reply.redirect(pageURL(site, locale, page), 303);
      }
      if (page === CART_PAGE) return await postCart(reply, state, params);
      if (page === PAYMENT_PAGE) return await postPayment(reply, state, params);
      throw new MethodNotAllowed('GET');
    }
  });
}
