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
  action: Type.Optional(Enum(['add', 'update', 'remove', 'sign-in', 'sign-out', 'switch-session'], { description: 'Cart page: `add`, `update`, `remove` change the cart. Cart and payment pages: `sign-in` (with `username`, `password`); any page: `sign-out`. `switch-session`: the answer to the "Switch checkout?" page. None on the payment page: place the order' })),
  productId: Type.Optional(Type.String({ description: 'Cart page, `add`' })),
  lineItemId: Type.Optional(Type.String({ description: 'Cart page, `update` and `remove`' })),
  quantity: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  version: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Payment page: the cart version the shopper saw' })),
  firstName: Type.Optional(Type.String()), lastName: Type.Optional(Type.String()), email: Type.Optional(Type.String()),
  line1: Type.Optional(Type.String()), city: Type.Optional(Type.String()), postalCode: Type.Optional(Type.String()), country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$', description: 'Payment page: an ISO 3166-1 alpha-2 code from the page\'s list' })),
  cardNumber: Type.Optional(Type.String({ description: 'Test card, e.g. 4111 1111 1111 1111' })),
  expiry: Type.Optional(Type.String({ pattern: '^[0-9]{2}/[0-9]{2}$', description: 'MM/YY, month 01–12, not before the current month' })),
  cvv: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
  username: Type.Optional(Type.String({ maxLength: 200, description: '`sign-in`: the shopper\'s username' })),
  password: Type.Optional(Type.String({ format: 'password', maxLength: 1024, description: '`sign-in`: the password (never shown again on a refusal)' }))
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
      ...errorPages({ 404: 'No such site, page or locale: the store\'s error page with a way back to the cart', 429: 'Too many new sessions' })
    },
    servers: [{ url: '{store}' }]
  },
  'POST /store/:siteId/:locale/:page': {
    operationId: 'postStorePage',
    summary: 'Submit a hosted page form: change the cart, sign in or out, or place the order',
    description: `The forms of the cart page (\`action\` = \`add\`, \`update\`, \`remove\`), the payment page (address and test card)
and the sign-in and sign-out forms. CSRF-protected: a form without the page's \`csrf\` field gets 403 and nothing changes; the
page comes back with what was typed (never the card number or security code, never a password). A browser without a live
session gets the store's 403 page.

\`sign-in\` re-keys the browser's session exactly as the \`password\` grant does: the cart is kept, the browser gets a new
cookie, and every handle made before (the old cookie, session tokens, the app's tokens) answers \`Session re-keyed at
login\`. A wrong password shows the form again (400, the username kept); failures count against the same per-username and
per-address limits as the grant (429 while locked). \`sign-out\` ends the session (its tokens answer \`Session expired\`) and
the browser continues on a fresh anonymous session.`,
    tags: [TAG],
    security: [],
    parameters: PARAMS,
    requestBody: { required: true, content: { [FORM_TYPE]: formBody(PageForm) } },
    responses: {
      303: { description: 'Done: the same page again (after a cart change, sign-in or sign-out), or the thank-you page after an order. A sign-in or sign-out sets a new session cookie', headers: { Location: { description: 'The next page', schema: { type: 'string' } }, 'Set-Cookie': { description: 'After sign-in or sign-out: the browser\'s new session cookie', schema: { type: 'string' } } } },
      ...errorPages({
        400: 'A field is invalid, or the username or password is wrong: the page again, each problem at its field',
        403: 'The form expired or did not come from this store: the page again, keeping what was typed (or the store\'s error page when the browser has no session)',
        404: 'No such site, page, product or line item',
        405: 'The thank-you page takes no form',
        409: 'The cart changed while the shopper was checking out, or is empty, or the session was signed in from another tab a moment before: the page again',
        429: 'Too many failed sign-ins for this username or address: the page again, saying so, with `Retry-After`'
      })
    },
    servers: [{ url: '{store}' }]
  }
};
