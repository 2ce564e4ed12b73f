import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * The documents the server sends, as TypeBox schemas: the reference's `components.schemas`.
 * Documentation only: no route validates or serialises with them (a test checks real answers
 * against them instead). The OAuth documents and the two error bodies are closed
 * (`additionalProperties: false`): a field added there must be documented here first.
 */

const HEX = '^[0-9a-f]+$';
const closed = { additionalProperties: false } as const;

/** A string from a fixed list (`enum`: Swagger UI offers a choice). */
export function Enum<T extends string>(values: T[], options: Record<string, unknown> = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, type: 'string', enum: values });
}

/** `{"$ref": "#/components/schemas/<name>"}` typed as the schema it points to. */
export function ref(name: keyof typeof SCHEMAS): TSchema {
  return Type.Unsafe({ $ref: `#/components/schemas/${name}` });
}

const AccessToken = Type.String({ pattern: HEX, minLength: 64, description: 'Opaque access token: at least 256 random bits, lower-case hex', examples: ['9f3c1d7ae0b54c2a8e6f1b0d4c3a2e19f8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3'] });
const RefreshToken = Type.String({ pattern: HEX, minLength: 64, description: 'Opaque refresh token; rotated on every use', examples: ['4b2e8c1f9a7d6e5c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c'] });
const Bearer = Enum(['bearer'], { description: 'Always `bearer`' });

const Money = Type.Object({
  currency: Type.String({ pattern: '^[A-Z]{3}$', examples: ['USD'] }),
  value: Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'Decimal amount as a string', examples: ['19.99'] })
});

const LineItem = Type.Object({
  id: Type.String(),
  uri: Type.String({ format: 'uri' }),
  quantity: Type.Integer({ minimum: 1 }),
  product: Type.Object({ id: Type.String(), uri: Type.String({ format: 'uri' }), displayName: Type.String() }),
  pricing: Type.Object({ listPrice: Money, salePriceWithQuantity: Money })
});

const LineItems = Type.Object({
  uri: Type.String({ format: 'uri' }),
  lineItem: Type.Array(LineItem, { description: 'Always an array in JSON (repeated `<lineItem>` elements in XML)' })
});

const Product = Type.Object({
  id: Type.String({ examples: ['1001'] }),
  uri: Type.String({ format: 'uri' }),
  displayName: Type.String({ examples: ['Widget'] }),
  name: Type.String(),
  pricing: Type.Object({ listPrice: Money }),
  addProductToCart: Type.Object({ uri: Type.String({ format: 'uri' }) })
});

const Order = Type.Object({
  id: Type.String(),
  uri: Type.String({ format: 'uri' }),
  orderState: Type.String({ examples: ['Submitted'] }),
  status: Type.String({ examples: ['submitted'] }),
  submissionDate: Type.String({ format: 'date-time' }),
  totalItemsInOrder: Type.Integer({ minimum: 0 }),
  lineItems: Type.Object({
    lineItem: Type.Array(Type.Object({
      quantity: Type.Integer({ minimum: 1 }),
      product: Type.Object({ id: Type.String(), displayName: Type.String() }),
      pricing: Type.Object({ listPrice: Money, salePriceWithQuantity: Money })
    }))
  }),
  pricing: Type.Object({ orderTotal: Money })
});

const ShopperProfile = Type.Object({
  id: Type.String({ description: '`Anonymous` for a shopper who has not signed in', examples: ['Anonymous'] }),
  uri: Type.String({ format: 'uri' }),
  username: Type.String(),
  externalReferenceId: Type.Optional(Type.String({ description: 'The partner\'s id of an external shopper; only for a signed-in shopper' })),
  firstName: Type.String(),
  lastName: Type.String(),
  emailAddress: Type.String(),
  locale: Type.String({ examples: ['en_US'] }),
  currency: Type.String({ examples: ['USD'] }),
  ipAddress: Type.Optional(Type.String({ description: 'The shopper\'s IP address as last set on the session; empty when unknown, absent in the answer to a registration (no session)' }))
});

export const SCHEMAS = {
  OAuthError: Type.Object({
    error: Type.String({
      description: 'RFC 6749 §5.2 error code, or a Global Commerce one: invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type, dr_limited_token_invalid, invalid_token, forbidden, resource-not-found, rate-limit-exceeded, method-not-allowed, server_error',
      examples: ['invalid_grant']
    }),
    error_description: Type.String({ description: 'What went wrong, in plain words', examples: ['Unknown session token'] })
  }, { ...closed, description: 'The error body of the OAuth endpoints (/oauth20/…, /v1/shoppers/token) and of the site action' }),

  ShopperApiError: Type.Object({
    errors: Type.Object({
      error: Type.Array(Type.Object({
        relation: Type.String({ format: 'uri', description: 'The resource the error is about' }),
        code: Type.String({
          description: 'invalid_token, forbidden, resource-not-found, invalid-request, concurrent-cart-modification-failure, cart-empty, rate-limit-exceeded, …',
          examples: ['invalid_token']
        }),
        description: Type.String({ examples: ['Session expired'] })
      }, closed), { minItems: 1 })
    }, closed)
  }, { ...closed, description: 'The error body of the Shopper API (/v1/shoppers/…); XML when the request asked for XML' }),

  TokenResponse: Type.Object({
    access_token: AccessToken,
    token_type: Bearer,
    expires_in: Type.Integer({ minimum: 0, description: 'Whole seconds left on the session (a token never outlives its session)', examples: [86397] }),
    refresh_token: RefreshToken
  }, { ...closed, description: 'Plain RFC 6749 §5.1 answer: asked for without `format` (what standard OAuth libraries expect)' }),

  TokenDocument: Type.Object({
    token: Type.Object({
      access_token: AccessToken,
      token_type: Bearer,
      expires_in: Type.String({ pattern: '^[0-9]+$', description: 'Whole seconds left on the session, as a string (as Global Commerce sends it)', examples: ['86397'] }),
      refresh_token: RefreshToken
    }, closed)
  }, { ...closed, description: 'The Global Commerce token document: `format=json`, a `.json` suffix, or the site action with a public apiKey' }),

  SessionTokenDocument: Type.Object({
    session_token: Type.String({ pattern: '^[0-9A-F]{32}$', description: '128 random bits naming the browser\'s session; a bearer secret', examples: ['1A9C61A6B8B54BD7087A5AD8986A17FA'] })
  }, { ...closed, description: 'The site action\'s answer without an apiKey' }),

  TokenInfo: Type.Object({
    sessionId: Type.String({ description: 'The session the hosted pages see for the same browser' }),
    userId: Type.String({ description: 'The shopper\'s id for a full token, otherwise `Anonymous`', examples: ['Anonymous'] }),
    externalReferenceId: Type.String({ description: 'The partner\'s id of an external shopper; empty otherwise' }),
    authenticated: Enum(['true', 'false'], { description: '`"true"` for a full token (a signed-in shopper)' }),
    locale: Type.String({ examples: ['en_US'] }),
    currency: Type.String({ examples: ['USD'] }),
    cartId: Type.String({ description: 'The session\'s active cart' }),
    domain: Type.String({ description: 'Host of the hosted store pages', examples: ['store.example.com'] }),
    clientIpAddress: Type.Optional(Type.String({ description: 'The address the session was last used from' })),
    expiresIn: Type.Integer({ minimum: 0, description: 'Whole seconds left on the session', examples: [86397] })
  }, { ...closed, description: 'What an access token stands for. XML (`format=xml`) wraps it in `<token>`' }),

  Introspection: Type.Union([
    Type.Object({
      active: Type.Literal(true),
      client_id: Type.String({ description: 'The API key the token was issued to' }),
      token_type: Enum(['bearer', 'refresh_token']),
      exp: Type.Integer({ description: 'Expiry, unix seconds' }),
      iat: Type.Integer({ description: 'Issued at, unix seconds' }),
      sub: Type.String({ description: 'The shopper\'s id, or `Anonymous`' }),
      scope: Enum(['limited', 'full']),
      session_id: Type.String(),
      site_id: Type.String()
    }, closed),
    Type.Object({ active: Type.Literal(false) }, closed)
  ], { description: 'RFC 7662 answer; `{"active":false}` for anything unknown, dead or of another site' }),

  ServerMetadata: Type.Object({
    issuer: Type.String({ format: 'uri' }),
    token_endpoint: Type.String({ format: 'uri' }),
    revocation_endpoint: Type.String({ format: 'uri' }),
    introspection_endpoint: Type.String({ format: 'uri' }),
    grant_types_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
    introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
    service_documentation: Type.String({ format: 'uri' })
  }, { description: 'RFC 8414 authorization server metadata' }),

  Money,
  LineItem,
  LineItems,
  Product,
  Order,
  ShopperProfile,

  ShopperDocument: Type.Object({ shopper: ref0('ShopperProfile') }, { description: 'The shopper of the token\'s session' }),
  CartDocument: Type.Object({
    cart: Type.Object({
      id: Type.String(),
      uri: Type.String({ format: 'uri' }),
      version: Type.Integer({ minimum: 0, description: 'Changes with every change; send it back as `version` or `If-Match` to change the cart only if nobody else did' }),
      lineItems: ref0('LineItems'),
      totalItemsInCart: Type.Integer({ minimum: 0 }),
      pricing: Type.Object({ subtotal: ref0('Money'), orderTotal: ref0('Money') }),
      webCheckout: Type.Object({ uri: Type.String({ format: 'uri', description: 'Send the shopper\'s browser here (top-level navigation) to continue on the hosted pages' }) })
    })
  }, { description: 'The session\'s active cart' }),
  LineItemsDocument: Type.Object({ lineItems: ref0('LineItems') }),
  LineItemDocument: Type.Object({ lineItem: ref0('LineItem') }),
  ProductsDocument: Type.Object({
    products: Type.Object({ uri: Type.String({ format: 'uri' }), product: Type.Array(ref0('Product')), totalResults: Type.Integer({ minimum: 0 }) })
  }),
  ProductDocument: Type.Object({ product: ref0('Product') }),
  OrderDocument: Type.Object({ order: ref0('Order') }),
  OrdersDocument: Type.Object({
    orders: Type.Object({ uri: Type.String({ format: 'uri' }), order: Type.Array(ref0('Order')), totalResults: Type.Integer({ minimum: 0 }) })
  }),
  SubmitCartDocument: Type.Object({ submitCart: Type.Object({ order: ref0('Order') }) }, { description: 'The order just placed; a new empty cart follows' }),

  Health: Type.Object({ status: Enum(['ok']) }, closed),
  Readiness: Type.Object({
    status: Enum(['ready', 'unavailable']),
    database: Enum(['ok', 'down']),
    redis: Enum(['ok', 'down', 'not configured'])
  }, closed)
};

/** `ref` for use inside SCHEMAS itself (before the constant exists). */
function ref0(name: string): TSchema {
  return Type.Unsafe({ $ref: `#/components/schemas/${name}` });
}
