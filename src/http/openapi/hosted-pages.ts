import { Type } from '@sinclair/typebox';
import { FORM_TYPE, HEADERS, formBody, path, query, type Json, type Operations } from './common.js';
import { Enum } from './schemas.js';

const TAG = 'Hosted store pages';
const HTML_TYPE = 'text/html';
const Html = Type.String({ description: 'A server-rendered HTML page (no JavaScript needed)', pattern: '^<!doctype html>' });

const PAGE = path('page', '`DisplayThreePgCheckoutShoppingCartPage` (the cart), `DisplayThreePgCheckoutAddressPaymentInfoPage` (address and test payment), `ThankYouPage` (the order just placed)',
  { type: 'string', enum: ['DisplayThreePgCheckoutShoppingCartPage', 'DisplayThreePgCheckoutAddressPaymentInfoPage', 'ThankYouPage'] });
const PARAMS = [
  path('siteId', 'The store', { type: 'string', examples: ['acme'] }),
  path('locale', 'The page language, like `en_US`', { type: 'string', pattern: '^[a-z]{2}(_[A-Z]{2})?$', examples: ['en_US'] }),
  PAGE
];

const PageForm = Type.Object({
  csrf: Type.String({ description: 'The form\'s CSRF field, as the page rendered it' }),
  action: Type.Optional(Enum(['add', 'update', 'remove'], { description: 'Cart page: what to do with the cart' })),
  productId: Type.Optional(Type.String({ description: 'Cart page, `add`' })),
  lineItemId: Type.Optional(Type.String({ description: 'Cart page, `update` and `remove`' })),
  quantity: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  version: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Payment page: the cart version the shopper saw' })),
  firstName: Type.Optional(Type.String()), lastName: Type.Optional(Type.String()), email: Type.Optional(Type.String()),
  line1: Type.Optional(Type.String()), city: Type.Optional(Type.String()), postalCode: Type.Optional(Type.String()), country: Type.Optional(Type.String()),
  cardNumber: Type.Optional(Type.String({ description: 'Test card, e.g. 4111 1111 1111 1111' })),
  expiry: Type.Optional(Type.String({ pattern: '^[0-9]{2}/[0-9]{2}$' })),
  cvv: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
  username: Type.Optional(Type.String({ description: 'Sign-in form, where offered' })),
  password: Type.Optional(Type.String({ format: 'password', description: 'Sign-in form, where offered' }))
}, { description: 'The fields of the page\'s forms (each form sends its own subset)' });

function htmlResponse(description: string): Json {
  return { description, content: { [HTML_TYPE]: { schema: Html } } };
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': { description: 'A strict policy: no scripts, forms only to the store itself', schema: { type: 'string' } },
  'Cache-Control': HEADERS.cacheControl
};

function errorPages(statuses: Record<number, string>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [status, description] of Object.entries(statuses)) out[status] = htmlResponse(description);
  out.default = htmlResponse('Unexpected server error (an HTML error page)');
  return out;
}

export const HOSTED_PAGE_OPERATIONS: Operations = {
  'GET /store/:siteId/:locale/:page': {
    operationId: 'getStorePage',
    summary: 'Show a hosted checkout page (cart, address and payment, thank-you)',
    description: `The browser's own session (its cookie) decides what the page shows. A \`handoff\` code from
\`web-checkout\` is consumed once: it attaches this browser to the app's session (a first-party cookie, as this is a
top-level navigation) and the page redirects to itself without the code. An unknown, used or expired code shows the
browser's own session with a notice, never someone else's. When a return URL is known (the web checkout's
\`returnUrl\`, else the site's), every page links "Back to the store"; after an order, the thank-you page's link and
its "Continue shopping" button go to \`{returnUrl}?order={orderId}&code={return code}\` (a single-use, 60-second code
the app's server redeems at \`POST /oauth20/token\` with \`grant_type=authorization_code\`).`,
    tags: [TAG],
    security: [],
    parameters: [...PARAMS, query('handoff', 'Single-use code (60 s) from web-checkout', { type: 'string' })],
    responses: {
      200: { ...htmlResponse('The page'), headers: SECURITY_HEADERS },
      302: { description: 'The handoff was consumed; the same page without `handoff`', headers: { Location: { description: 'The page on the public store URL', schema: { type: 'string', format: 'uri' } } } },
      ...errorPages({ 404: 'No such site, page or locale', 429: 'Too many new sessions' })
    },
    servers: [{ url: '{store}' }]
  },
  'POST /store/:siteId/:locale/:page': {
    operationId: 'postStorePage',
    summary: 'Submit a hosted page form: change the cart, or place the order',
    description: 'The forms of the cart page (`action` = `add`, `update`, `remove`) and the payment page (address and test card). CSRF-protected: a form without the page\'s `csrf` field, or a browser without a live session, gets 403 and nothing changes.',
    tags: [TAG],
    security: [],
    parameters: PARAMS,
    requestBody: { required: true, content: { [FORM_TYPE]: formBody(PageForm) } },
    responses: {
      303: { description: 'Done: the cart page again, or the thank-you page after an order', headers: { Location: { description: 'The next page', schema: { type: 'string' } } } },
      ...errorPages({
        400: 'A field is invalid: the page again, with the problems listed',
        403: 'The form expired or did not come from this store',
        404: 'No such site, page, product or line item',
        405: 'The thank-you page takes no form',
        409: 'The cart changed while the shopper was checking out, or is empty: the page again'
      })
    },
    servers: [{ url: '{store}' }]
  }
};
