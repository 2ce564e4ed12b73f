import { Type, type TSchema } from '@sinclair/typebox';
import {
  FORMAT_SHOPPER, FORM_TYPE, HEADERS, formBody, JSON_TYPE, SECURITY, TOKEN_FAILURES, TOKEN_PARAM, doc, header, path, query, shopperErrors,
  type Json, type Operation, type Operations
} from './common.js';
import { Enum, ref } from './schemas.js';

const PROFILE = 'Shopper profile';
const CATALOGUE = 'Catalogue';
const CART = 'Cart';
const ORDERS = 'Orders';

const SUFFIX_NOTE = 'Also answers at the same path with a `.json` or `.xml` suffix (that format, whatever `Accept` says).';
const COMMON = [FORMAT_SHOPPER, TOKEN_PARAM];
const VERSION = [
  query('version', 'Change the cart only if it is still at this version (else 409); also as `If-Match`', { type: 'integer', minimum: 0 }),
  header('If-Match', 'The cart version (its `ETag`), as `version`', { type: 'string' })
];
const ETAG = { ETag: { description: 'The cart version, quoted', schema: { type: 'string' } }, 'Cache-Control': HEADERS.cacheControl };

/** A request body accepted as a form, flat JSON, or JSON wrapped in the resource's name. */
function body(flat: TSchema, wrapped?: { name: string; schema: TSchema; example: Json }, required = false): Json {
  const json: Json = wrapped === undefined
    ? { schema: flat }
    : {
        schema: { anyOf: [Type.Object({ [wrapped.name]: wrapped.schema }, { description: `Wrapped in \`${wrapped.name}\`, as Global Commerce clients send it` }), flat] },
        examples: { wrapped: { summary: `Wrapped in "${wrapped.name}"`, value: wrapped.example } }
      };
  return { required, content: { [FORM_TYPE]: formBody(flat), [JSON_TYPE]: json } };
}

function op(o: Omit<Operation, 'security'> & { security?: Operation['security'] }): Operation {
  return { security: SECURITY.bearer, ...o, description: o.description === undefined ? SUFFIX_NOTE : `${o.description}\n\n${SUFFIX_NOTE}` };
}

const ProfileChange = Type.Object({
  locale: Type.Optional(Type.String({ pattern: '^[a-z]{2}(_[A-Z]{2})?$', examples: ['de_DE'] })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', examples: ['EUR'] })),
  ipAddress: Type.Optional(Type.String({ maxLength: 45 })),
  firstName: Type.Optional(Type.String({ maxLength: 100, description: 'Full token only' })),
  lastName: Type.Optional(Type.String({ maxLength: 100, description: 'Full token only' })),
  emailAddress: Type.Optional(Type.String({ maxLength: 254, description: 'Full token only' })),
  username: Type.Optional(Type.String({ description: 'Full token only' })),
  password: Type.Optional(Type.String({ format: 'password', description: 'Full token only; plain or base64' }))
});

const Registration = Type.Object({
  username: Type.String(),
  password: Type.String({ format: 'password', description: 'Plain or base64; a weak password is refused (400)' }),
  firstName: Type.String(),
  lastName: Type.String(),
  emailAddress: Type.String(),
  externalReferenceId: Type.Optional(Type.String({ maxLength: 255, description: 'Links the partner\'s id: `client_credentials` with this `dr_external_reference_id` then signs the same shopper in. Only the site\'s server links one (its confidential key\'s Basic credentials, or a token it got with them on a session no browser holds); a confidential key\'s token on a browser\'s session registers the shopper without the link (empty in the answer); a public key or its token gets 403' }))
});

const CartChange = Type.Object({
  productId: Type.Optional(Type.String({ description: 'The product to add', examples: ['1001'] })),
  quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 999, description: 'Default 1; needs `productId`' })),
  version: Type.Optional(Type.Integer({ minimum: 0 }))
});
const CartBody = Type.Object({
  lineItems: Type.Optional(Type.Object({
    lineItem: Type.Union([
      Type.Array(Type.Object({ quantity: Type.Optional(Type.Integer({ minimum: 1 })), product: Type.Object({ id: Type.String() }) }), { maxItems: 50 }),
      Type.Object({ quantity: Type.Optional(Type.Integer({ minimum: 1 })), product: Type.Object({ id: Type.String() }) })
    ])
  }))
});
const CART_EXAMPLE = { cart: { lineItems: { lineItem: [{ quantity: 1, product: { id: '1001' } }] } } };

const LineAdd = Type.Object({
  productId: Type.String({ examples: ['1001'] }),
  quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
  action: Type.Optional(Enum(['add'])),
  version: Type.Optional(Type.Integer({ minimum: 0 }))
});
const LineChange = Type.Object({
  quantity: Type.Integer({ minimum: 1, maximum: 999 }),
  action: Type.Optional(Enum(['update', 'add'], { description: '`update` (default) sets the quantity; `add` adds to it' })),
  version: Type.Optional(Type.Integer({ minimum: 0 }))
});
const Submit = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 0 })) });
const SubmitWrapped = Type.Object({
  termsOfSalesAcceptance: Type.Optional(Type.Union([Type.Literal('true'), Type.Boolean()])),
  ipAddress: Type.Optional(Type.String())
});

const CART_CONFLICT: Array<[string, string]> = [['concurrent-cart-modification-failure', 'The cart was changed by another request (version 3, expected 2)']];

const webCheckout = (method: 'GET' | 'POST'): Operation => op({
  operationId: method === 'GET' ? 'getWebCheckout' : 'postWebCheckout',
  summary: method === 'GET' ? 'Send the shopper to the hosted checkout (302 with a handoff code)' : 'Change the cart, then send the shopper to the hosted checkout',
  description: 'Answers 302 to the hosted cart page on the store origin with a single-use `handoff` code (60 s) that attaches the browser to this token\'s session. Open it as a top-level navigation (not with fetch). ' +
    (method === 'POST' ? 'A POST first applies a cart body like `POST …/carts/active`. When the site lists `allowedOrigins`, a POST whose `Origin` is not listed gets 403.' : ''),
  tags: [CART],
  parameters: [TOKEN_PARAM, query('returnUrl', 'Where the hosted pages link back to (default: the site\'s `returnUrl`): the site\'s `returnUrl` or a URL on one of its `allowedOrigins` (else 400 `invalid_request`). The handoff remembers it with this token\'s API key; after the order the thank-you page links to `{returnUrl}?order={orderId}&code={return code}`, which that key redeems with `grant_type=authorization_code`', { type: 'string', format: 'uri' })],
  ...(method === 'POST' ? { requestBody: body(CartChange, { name: 'cart', schema: CartBody, example: CART_EXAMPLE }) } : {}),
  responses: {
    302: { description: 'To the hosted cart page', headers: { Location: { description: '`{store}/store/{siteId}/{locale}/DisplayThreePgCheckoutShoppingCartPage?handoff=…`', schema: { type: 'string', format: 'uri' } } } },
    ...shopperErrors({ 400: [['invalid-request', 'Quantity must be a whole number from 1 to 999'], ['invalid_request', 'returnUrl "https://evil.example/" is not allowed: use the site\'s returnUrl or a URL on one of its allowedOrigins (https://shop.acme.example/…)']], 401: TOKEN_FAILURES, 403: [['forbidden', 'This origin may not move a shopper\'s browser']], 404: [['resource-not-found', 'Product "9999" not found']], 429: [['rate-limit-exceeded', 'Too many requests; retry later']] })
  }
});

export const SHOPPER_API_OPERATIONS: Operations = {
  'GET /v1/shoppers/me': op({
    operationId: 'getShopper',
    summary: 'Get the shopper of the token\'s session',
    description: 'An anonymous shopper\'s id is `Anonymous`.',
    tags: [PROFILE],
    parameters: COMMON,
    responses: { 200: doc('The shopper', ref('ShopperDocument'), { xml: true }), ...shopperErrors({ 401: TOKEN_FAILURES, 403: [['forbidden', 'The token belongs to another site']], 429: [['rate-limit-exceeded', 'Too many requests; retry later']] }) }
  }),
  'POST /v1/shoppers/me': op({
    operationId: 'updateShopper',
    summary: 'Change the shopper\'s locale, currency, IP address (any token) or profile (full token)',
    description: 'A limited token may change only `locale`, `currency` and `ipAddress` (any other field: 403). A full token may also change the names, e-mail, username and password.',
    tags: [PROFILE],
    parameters: COMMON,
    requestBody: body(ProfileChange, { name: 'shopper', schema: ProfileChange, example: { shopper: { locale: 'de_DE', currency: 'EUR' } } }, true),
    responses: {
      200: doc('The shopper after the change', ref('ShopperDocument'), { xml: true }),
      ...shopperErrors({
        400: [['invalid-request', 'locale must look like en_US'], ['invalid-request', 'currency must be an ISO 4217 code such as USD']],
        401: TOKEN_FAILURES,
        403: [['forbidden', 'A limited token may change only locale, currency and ipAddress']],
        429: [['rate-limit-exceeded', 'Too many requests; retry later']]
      })
    }
  }),
  'POST /v1/shoppers': op({
    operationId: 'registerShopper',
    summary: 'Register a shopper (username and password)',
    description: 'Creates a registered shopper of the site; signs nobody in (sign in with the `password` grant). Needs a public `apiKey` or any access token of the site. Registrations are rate-limited per IP and per site.',
    tags: [PROFILE],
    security: SECURITY.apiKeyOrBearer,
    parameters: [FORMAT_SHOPPER],
    requestBody: body(Registration, {
      name: 'shopper', schema: Registration,
      example: { shopper: { username: 'sam', password: 'Purple-Kettle-42', firstName: 'Sam', lastName: 'Lee', emailAddress: 'sam@example.com' } }
    }, true),
    responses: {
      201: doc('The new shopper', ref('ShopperDocument'), { xml: true }),
      200: doc('The new shopper', ref('ShopperDocument'), { xml: true }),
      ...shopperErrors({
        400: [['invalid-request', 'The password is too weak'], ['invalid-request', 'emailAddress is not an e-mail address']],
        401: [['invalid_token', 'Invalid token for specified shopper']],
        409: [['conflict', 'That username is taken']],
        429: [['rate-limit-exceeded', 'Too many requests; retry later']]
      })
    }
  }),

  'GET /v1/shoppers/me/products': op({
    operationId: 'listProducts',
    summary: 'List the site\'s products',
    description: 'With an access token, or with a public `apiKey` alone.',
    tags: [CATALOGUE],
    security: SECURITY.bearerOrApiKey,
    parameters: COMMON,
    responses: { 200: doc('The catalogue', ref('ProductsDocument'), { xml: true }), ...shopperErrors({ 401: TOKEN_FAILURES, 429: [['rate-limit-exceeded', 'Too many requests; retry later']] }) }
  }),
  'GET /v1/shoppers/me/products/:productId': op({
    operationId: 'getProduct',
    summary: 'Get one product',
    description: 'With an access token, or with a public `apiKey` alone. A `.json`/`.xml` ending of the id picks the format.',
    tags: [CATALOGUE],
    security: SECURITY.bearerOrApiKey,
    parameters: [path('productId', 'The product id', { type: 'string', examples: ['1001'] }), ...COMMON],
    responses: { 200: doc('The product', ref('ProductDocument'), { xml: true }), ...shopperErrors({ 401: TOKEN_FAILURES, 404: [['resource-not-found', 'Product "9999" not found']] }) }
  }),

  'GET /v1/shoppers/me/carts/active': op({
    operationId: 'getCart',
    summary: 'Get the session\'s active cart',
    description: 'The same cart the hosted pages show for the same session. `webCheckout.uri` sends the shopper there.',
    tags: [CART],
    parameters: COMMON,
    responses: { 200: { ...doc('The cart', ref('CartDocument'), { xml: true }), headers: ETAG }, ...shopperErrors({ 401: TOKEN_FAILURES, 403: [['forbidden', 'The token belongs to another site']], 429: [['rate-limit-exceeded', 'Too many requests; retry later']] }) }
  }),
  'POST /v1/shoppers/me/carts/active': op({
    operationId: 'updateCart',
    summary: 'Add products to the active cart',
    description: '`productId` and `quantity` (default 1) add one product; a Global Commerce body `{"cart":{"lineItems":{"lineItem":[…]}}}` adds several.',
    tags: [CART],
    parameters: [...COMMON, ...VERSION],
    requestBody: body(CartChange, { name: 'cart', schema: CartBody, example: CART_EXAMPLE }, true),
    responses: {
      200: { ...doc('The cart after the change', ref('CartDocument'), { xml: true }), headers: ETAG },
      ...shopperErrors({ 400: [['invalid-request', 'Missing required parameter "productId"'], ['invalid-request', 'Quantity must be a whole number from 1 to 999']], 401: TOKEN_FAILURES, 404: [['resource-not-found', 'Product "9999" not found']], 409: CART_CONFLICT, 413: [['invalid_request', 'Request body too large']], 415: [['invalid_request', 'Unsupported Content-Type; send application/x-www-form-urlencoded or application/json']], 429: [['rate-limit-exceeded', 'Too many requests; retry later']] })
    }
  }),
  'GET /v1/shoppers/me/carts/active/line-items': op({
    operationId: 'listLineItems',
    summary: 'List the active cart\'s line items',
    tags: [CART],
    parameters: COMMON,
    responses: { 200: { ...doc('The line items', ref('LineItemsDocument'), { xml: true }), headers: ETAG }, ...shopperErrors({ 401: TOKEN_FAILURES }) }
  }),
  'POST /v1/shoppers/me/carts/active/line-items': op({
    operationId: 'addLineItem',
    summary: 'Add a product to the active cart',
    tags: [CART],
    parameters: [...COMMON, ...VERSION],
    requestBody: body(LineAdd, undefined, true),
    responses: {
      200: { ...doc('The line items after the change', ref('LineItemsDocument'), { xml: true }), headers: ETAG },
      ...shopperErrors({ 400: [['invalid-request', 'Missing required parameter "productId"']], 401: TOKEN_FAILURES, 404: [['resource-not-found', 'Product "9999" not found']], 409: CART_CONFLICT })
    }
  }),
  'DELETE /v1/shoppers/me/carts/active/line-items': op({
    operationId: 'clearCart',
    summary: 'Remove every line item from the active cart',
    tags: [CART],
    parameters: [TOKEN_PARAM, ...VERSION],
    responses: { 204: { description: 'The cart is empty' }, ...shopperErrors({ 401: TOKEN_FAILURES, 409: CART_CONFLICT }) }
  }),
  'GET /v1/shoppers/me/carts/active/line-items/:lineItemId': op({
    operationId: 'getLineItem',
    summary: 'Get one line item of the active cart',
    tags: [CART],
    parameters: [path('lineItemId', 'The line item id'), ...COMMON],
    responses: { 200: { ...doc('The line item', ref('LineItemDocument'), { xml: true }), headers: ETAG }, ...shopperErrors({ 401: TOKEN_FAILURES, 404: [['resource-not-found', 'Line item "x" not found']] }) }
  }),
  'POST /v1/shoppers/me/carts/active/line-items/:lineItemId': op({
    operationId: 'updateLineItem',
    summary: 'Change a line item\'s quantity',
    tags: [CART],
    parameters: [path('lineItemId', 'The line item id'), ...COMMON, ...VERSION],
    requestBody: body(LineChange, undefined, true),
    responses: {
      200: { ...doc('The line item after the change', ref('LineItemDocument'), { xml: true }), headers: ETAG },
      ...shopperErrors({ 400: [['invalid-request', 'Missing required parameter "quantity"']], 401: TOKEN_FAILURES, 404: [['resource-not-found', 'Line item "x" not found']], 409: CART_CONFLICT })
    }
  }),
  'DELETE /v1/shoppers/me/carts/active/line-items/:lineItemId': op({
    operationId: 'removeLineItem',
    summary: 'Remove a line item from the active cart',
    tags: [CART],
    parameters: [path('lineItemId', 'The line item id'), TOKEN_PARAM, ...VERSION],
    responses: { 204: { description: 'Removed' }, ...shopperErrors({ 401: TOKEN_FAILURES, 404: [['resource-not-found', 'Line item "x" not found']], 409: CART_CONFLICT }) }
  }),
  'POST /v1/shoppers/me/carts/active/submit-cart': op({
    operationId: 'submitCart',
    summary: 'Turn the active cart into an order',
    description: 'A new empty cart follows. On a signed-in shopper\'s session a limited token gets 403.',
    tags: [CART, ORDERS],
    parameters: [...COMMON, ...VERSION],
    requestBody: body(Submit, { name: 'cart', schema: SubmitWrapped, example: { cart: { termsOfSalesAcceptance: 'true', ipAddress: '203.0.113.7' } } }),
    responses: {
      200: doc('The order', ref('SubmitCartDocument'), { xml: true }),
      ...shopperErrors({ 401: TOKEN_FAILURES, 403: [['forbidden', 'This resource needs a full token (an authenticated shopper)']], 409: [['cart-empty', 'The cart is empty; add a product before submitting'], ...CART_CONFLICT] })
    }
  }),
  'GET /v1/shoppers/me/orders': op({
    operationId: 'listOrders',
    summary: 'List the signed-in shopper\'s orders (full token)',
    tags: [ORDERS],
    parameters: COMMON,
    responses: { 200: doc('The orders', ref('OrdersDocument'), { xml: true }), ...shopperErrors({ 401: TOKEN_FAILURES, 403: [['forbidden', 'This resource needs a full token (an authenticated shopper)']] }) }
  }),
  'GET /v1/shoppers/me/orders/:orderId': op({
    operationId: 'getOrder',
    summary: 'Get one of the signed-in shopper\'s orders (full token)',
    tags: [ORDERS],
    parameters: [path('orderId', 'The order id'), ...COMMON],
    responses: { 200: doc('The order', ref('OrderDocument'), { xml: true }), ...shopperErrors({ 401: TOKEN_FAILURES, 403: [['forbidden', 'This resource needs a full token (an authenticated shopper)']], 404: [['resource-not-found', 'Order "x" not found']] }) }
  }),
  'GET /v1/shoppers/me/carts/active/web-checkout': webCheckout('GET'),
  'POST /v1/shoppers/me/carts/active/web-checkout': webCheckout('POST')
};

