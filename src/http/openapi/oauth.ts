import { Type } from '@sinclair/typebox';
import { TOKEN_REASONS } from '../../errors.js';
import {
  FORM_TYPE, HEADERS, formBody, JSON_TYPE, SECURITY, TOKEN_PARAM, XML_TYPE, doc, oauthErrors, query, type Json, type Operation, type Operations
} from './common.js';
import { Enum, ref } from './schemas.js';

const TAG = 'OAuth tokens';

const SESSION_TOKEN = '1A9C61A6B8B54BD7087A5AD8986A17FA';
const ACCESS = '9f3c1d7ae0b54c2a8e6f1b0d4c3a2e19f8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3';
const REFRESH = '4b2e8c1f9a7d6e5c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c';

const TokenRequest = Type.Object({
  grant_type: Enum(['password', 'client_credentials', 'refresh_token', 'authorization_code'], {
    description: '`password`: a limited token for an anonymous shopper (new session, or the session a `dr_session_token` names), or a full token with `username` and `password`. `client_credentials`: a full token for an external shopper (`dr_external_reference_id`) or a guest session. `refresh_token`: a new pair on the same session. `authorization_code`: the return `code` from the hosted checkout\'s way back to the storefront, redeemed by the confidential key that started the web checkout: a pair on the shopper\'s current session (full when signed in, limited otherwise)'
  }),
  dr_session_token: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{32}$', description: 'The browser\'s session token (from the site action): join that session. Also accepted as `sessionToken` or `session_token`' })),
  username: Type.Optional(Type.String({ description: 'Shopper sign-in (confidential clients only)' })),
  password: Type.Optional(Type.String({ description: 'Plain or base64; both are accepted', format: 'password' })),
  dr_limited_token: Type.Optional(Type.String({ description: 'A limited access token whose session (and cart) the signed-in shopper takes over' })),
  dr_external_reference_id: Type.Optional(Type.String({ maxLength: 255, description: 'The partner\'s id of an external shopper (`client_credentials`); the shopper is created on first use' })),
  refresh_token: Type.Optional(Type.String({ description: 'For `grant_type=refresh_token`: spent by this call; a new one comes back' })),
  code: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'For `grant_type=authorization_code`: the `code` parameter of the way back (`{returnUrl}?order=…&code=…`); single use, 60 s' })),
  redirect_uri: Type.Optional(Type.String({ format: 'uri', description: 'For `grant_type=authorization_code`: the return URL as the web checkout was given it (the site\'s `returnUrl` when none was), without the added `order` and `code`' })),
  client_id: Type.Optional(Type.String({ description: 'The API key, when not sent with Basic authentication (also accepted as `apiKey`)' })),
  client_secret: Type.Optional(Type.String({ description: 'A confidential key\'s secret, when not sent with Basic authentication', format: 'password' }))
}, { description: 'Token request. Every parameter may also come in the query (the body wins), `format` too' });

const TOKEN_FORMAT = query('format', 'Answer with the Global Commerce document: `json` (`{"token":{…}}`, `expires_in` a string) or `xml`. Without it: the plain RFC 6749 answer (`expires_in` a number). May also go in the body.', { type: 'string', enum: ['json', 'xml'] });

interface Grant {
  name: string;
  summary: string;
  value: Record<string, string>;
}

const GRANTS: Grant[] = [
  { name: 'password-new-session', summary: 'password: a limited token on a new anonymous session (any key)', value: { grant_type: 'password' } },
  { name: 'password-session-token', summary: 'password + dr_session_token: a limited token joined to the browser\'s session (same cart)', value: { grant_type: 'password', dr_session_token: SESSION_TOKEN } },
  { name: 'password-sign-in', summary: 'password + username/password: a full token; the session is re-keyed (confidential key)', value: { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: SESSION_TOKEN } },
  { name: 'client-credentials-external', summary: 'client_credentials + dr_external_reference_id: a full token for an external shopper (confidential key)', value: { grant_type: 'client_credentials', dr_external_reference_id: 'crm-000123' } },
  { name: 'client-credentials-guest', summary: 'client_credentials: a limited token on a new guest session (confidential key)', value: { grant_type: 'client_credentials' } },
  { name: 'refresh-token', summary: 'refresh_token: a new pair on the same session; the old refresh token is spent', value: { grant_type: 'refresh_token', refresh_token: REFRESH } },
  { name: 'authorization-code', summary: 'authorization_code: the return code of the way back, a pair on the shopper\'s session (the confidential key that started the web checkout)', value: { grant_type: 'authorization_code', code: REFRESH, redirect_uri: 'https://shop.acme.example/checkout/return' } }
];

/** Each grant, plain (RFC 6749 answer) and with `format=json` (Global Commerce document). */
function grantExamples(withFormat: boolean): Json {
  const examples: Json = {};
  for (const g of GRANTS) {
    examples[g.name] = { summary: `${g.summary}. RFC 6749 answer`, value: g.value };
    if (withFormat) examples[`${g.name}-global-commerce`] = { summary: `${g.summary}. Global Commerce document`, value: { ...g.value, format: 'json' } };
  }
  return examples;
}

const PLAIN_EXAMPLE = { access_token: ACCESS, token_type: 'bearer', expires_in: 86397, refresh_token: REFRESH };
const DOCUMENT_EXAMPLE = { token: { access_token: ACCESS, token_type: 'bearer', expires_in: '86397', refresh_token: REFRESH } };
const XML_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?><token><access_token>${ACCESS}</access_token><token_type>bearer</token_type><expires_in>86397</expires_in><refresh_token>${REFRESH}</refresh_token></token>`;

export function tokenSuccess(variant: 'any' | 'json' | 'xml', what: string): Json {
  const headers = { 'Cache-Control': HEADERS.cacheControl };
  if (variant === 'xml') {
    return { description: `${what}, as the Global Commerce XML document`, headers, content: { [XML_TYPE]: { schema: ref('TokenDocument'), example: XML_EXAMPLE } } };
  }
  if (variant === 'json') {
    return { description: `${what}, as the Global Commerce JSON document`, headers, content: { [JSON_TYPE]: { schema: ref('TokenDocument'), examples: { 'global-commerce': { summary: 'Global Commerce document', value: DOCUMENT_EXAMPLE } } } } };
  }
  return {
    description: `${what}: the plain RFC 6749 answer without \`format\`; the Global Commerce document with \`format=json\` (\`format=xml\`: XML)`,
    headers,
    content: {
      [JSON_TYPE]: {
        schema: { oneOf: [ref('TokenResponse'), ref('TokenDocument')] },
        examples: {
          'rfc-6749': { summary: 'No format: plain RFC 6749 (expires_in a number)', value: PLAIN_EXAMPLE },
          'global-commerce': { summary: 'format=json: Global Commerce document (expires_in a string)', value: DOCUMENT_EXAMPLE }
        }
      },
      [XML_TYPE]: { schema: ref('TokenDocument'), example: XML_EXAMPLE }
    }
  };
}

const TOKEN_DESCRIPTION = `Issues an access token (and a refresh token) bound to one shopper session.

**Client authentication**, any one of: \`Authorization: Basic base64(key:secret)\` (confidential key);
\`Basic base64(key:)\` or \`client_id=key\` (public key); \`client_id\` + \`client_secret\` in the body;
or \`Authorization: Bearer <live access token>\`, which counts as the public credentials of the key
that token was issued to. Failure: 401 \`invalid_client\` with \`WWW-Authenticate: Basic\`.

**Grants** (see the request examples):
- \`password\` alone: a limited token on a new anonymous session; with \`dr_session_token\`: a limited
  token joined to that existing session (the browser's cart). Any key of the site.
- \`password\` with \`username\` and \`password\` (confidential key): a full token. The anonymous
  session's cart is carried into the shopper's session and the session is re-keyed: every earlier
  handle (cookie, session tokens, access and refresh tokens) answers 401 \`Session re-keyed at login\`.
- \`client_credentials\` with \`dr_external_reference_id\` (confidential key): a full token for that
  external shopper; without it: a limited token on a new guest session (or the session a given
  \`dr_session_token\`/\`dr_limited_token\` names).
- \`refresh_token\`: a new pair on the same session; the old refresh token is spent. Presenting it
  again within a short grace period answers the same new pair; later, it revokes the whole chain.

\`expires_in\` is the whole number of seconds left on the session: a token never outlives its session.
Parameters may come in the query, a form body or a JSON body (the body wins).`;

function tokenEndpoint(variant: 'any' | 'json' | 'xml'): Operation {
  const summary = variant === 'any'
    ? 'Get an access token (any grant)'
    : `Get an access token as the Global Commerce ${variant.toUpperCase()} document`;
  const formatNote = variant === 'any' ? '' : `\n\nThis path always answers with the Global Commerce ${variant.toUpperCase()} document; \`format\` is ignored.`;
  return {
    operationId: variant === 'any' ? 'createToken' : `createToken${variant.toUpperCase()}`,
    summary,
    description: TOKEN_DESCRIPTION + formatNote,
    tags: [TAG],
    security: SECURITY.client,
    ...(variant === 'any' ? { parameters: [TOKEN_FORMAT] } : {}),
    requestBody: {
      required: true,
      content: {
        [FORM_TYPE]: formBody(TokenRequest, grantExamples(variant === 'any')),
        [JSON_TYPE]: { schema: TokenRequest, examples: grantExamples(variant === 'any') }
      }
    },
    responses: {
      200: tokenSuccess(variant, 'A token pair'),
      ...oauthErrors({
        400: [
          ['invalid_request', 'Missing required parameter "grant_type"'],
          ['invalid_grant', 'Unknown session token'],
          ['invalid_grant', 'Invalid username or password'],
          ['invalid_grant', TOKEN_REASONS.rekeyed],
          ['invalid_grant', 'The code is unknown, used or expired, or was issued to another client or redirect_uri'],
          ['unsupported_grant_type', 'Unsupported grant_type "implicit"'],
          ['unauthorized_client', 'Shopper login needs a confidential client'],
          ['dr_limited_token_invalid', 'The dr_limited_token is not a live limited token of this site']
        ],
        401: [['invalid_client', 'Wrong client secret'], ['invalid_client', 'Client authentication required']],
        413: [['invalid_request', 'Request body too large']],
        415: [['invalid_request', 'Unsupported Content-Type; send application/x-www-form-urlencoded or application/json']],
        429: [['rate-limit-exceeded', 'Too many requests; retry later']]
      })
    }
  };
}

const ShopperTokenRequest = Type.Object({
  apiKey: Type.Optional(Type.String({ description: 'A public API key of the site (also `client_id`)' })),
  sessionToken: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{32}$', description: 'Join the browser\'s session (also `dr_session_token`, `session_token`)' })),
  format: Type.Optional(Enum(['json', 'xml']))
});

function shopperToken(method: 'GET' | 'POST', variant: 'any' | 'json' | 'xml'): Operation {
  const suffix = variant === 'any' ? '' : variant.toUpperCase();
  const op: Operation = {
    operationId: `shopperToken${method === 'GET' ? 'Get' : 'Post'}${suffix}`,
    summary: variant === 'any'
      ? 'Get a limited token with a public API key (Shopper API token call)'
      : `Get a limited token with a public API key, as the ${suffix} document`,
    description: 'The same as the anonymous `password` grant: a limited token on a new session, or on the session `sessionToken` names. ' +
      'The session gets an active cart. Needs a **public** API key (`apiKey`, or `client_id`); any other key: 401 `invalid_client`. ' +
      'A site that exchanges session tokens only for confidential keys answers 400 `unauthorized_client` to a `sessionToken` here.',
    tags: [TAG],
    security: SECURITY.publicKey,
    parameters: [
      query('sessionToken', 'The browser\'s session token (from the site action): join that session', { type: 'string', pattern: '^[0-9A-Fa-f]{32}$' }),
      ...(variant === 'any' ? [query('format', 'Global Commerce document (`json` or `xml`); without it the plain RFC 6749 answer', { type: 'string', enum: ['json', 'xml'] })] : [])
    ],
    responses: {
      200: tokenSuccess(variant, 'A limited token pair'),
      ...oauthErrors({
        400: [['invalid_grant', 'Unknown session token'], ['unauthorized_client', 'This site exchanges session tokens only for a confidential client']],
        401: [['invalid_client', 'A public apiKey is required']],
        429: [['rate-limit-exceeded', 'Too many requests; retry later']]
      })
    }
  };
  if (method === 'POST') {
    op.requestBody = { required: false, content: { [FORM_TYPE]: formBody(ShopperTokenRequest), [JSON_TYPE]: { schema: ShopperTokenRequest } } };
  }
  return op;
}

const TOKEN_INFO_EXAMPLE = {
  sessionId: '01JH2ZK7Q5V3M8N4P6R2T9W1XY', userId: 'Anonymous', externalReferenceId: '', authenticated: 'false',
  locale: 'en_US', currency: 'USD', cartId: '01JH2ZK7Q5V3M8N4P6R2T9W1XZ', domain: 'store.example.com', clientIpAddress: '203.0.113.7', expiresIn: 86397
};

function tokenInfo(method: 'GET' | 'DELETE'): Operation {
  return {
    operationId: method === 'GET' ? 'getTokenInfo' : 'revokeAccessToken',
    summary: method === 'GET' ? 'What an access token stands for (token information)' : 'Revoke an access token (and its refresh token); the session lives on',
    description: 'The token comes as `Authorization: Bearer …` or as the `token` parameter. `sessionId` and `cartId` are the ones the hosted pages see for the same browser. ' +
      (method === 'DELETE' ? 'Answers with the same body as GET, as it was before the token was revoked.' : 'JSON unless `format=xml`.'),
    tags: [TAG],
    security: SECURITY.bearer,
    parameters: [TOKEN_PARAM, query('format', '`xml` for the XML document (wrapped in `<token>`); JSON otherwise', { type: 'string', enum: ['json', 'xml'] })],
    responses: {
      200: {
        description: 'The token\'s session',
        headers: { 'Cache-Control': HEADERS.cacheControl },
        content: {
          [JSON_TYPE]: { schema: ref('TokenInfo'), examples: { anonymous: { summary: 'A limited token', value: TOKEN_INFO_EXAMPLE } } },
          [XML_TYPE]: { schema: Type.Object({ token: ref('TokenInfo') }) }
        }
      },
      ...oauthErrors({ 401: [['invalid_token', TOKEN_REASONS.unknown], ['invalid_token', TOKEN_REASONS.expired], ['invalid_token', TOKEN_REASONS.revoked], ['invalid_token', TOKEN_REASONS.rekeyed]] })
    }
  };
}

const RevokeRequest = Type.Object({
  token: Type.String({ description: 'The access or refresh token' }),
  token_type_hint: Type.Optional(Enum(['access_token', 'refresh_token'], { description: 'Which kind to try first; an unknown hint is ignored' })),
  client_id: Type.Optional(Type.String({ description: 'The API key, when not sent with Basic authentication' })),
  client_secret: Type.Optional(Type.String({ format: 'password' }))
});

export const OAUTH_OPERATIONS: Operations = {
  'POST /oauth20/token': tokenEndpoint('any'),
  'POST /oauth20/token.json': tokenEndpoint('json'),
  'POST /oauth20/token.xml': tokenEndpoint('xml'),
  'GET /v1/shoppers/token': shopperToken('GET', 'any'),
  'POST /v1/shoppers/token': shopperToken('POST', 'any'),
  'GET /v1/shoppers/token.json': shopperToken('GET', 'json'),
  'POST /v1/shoppers/token.json': shopperToken('POST', 'json'),
  'GET /v1/shoppers/token.xml': shopperToken('GET', 'xml'),
  'POST /v1/shoppers/token.xml': shopperToken('POST', 'xml'),
  'GET /oauth20/access-tokens': tokenInfo('GET'),
  'DELETE /oauth20/access-tokens': tokenInfo('DELETE'),
  'POST /oauth20/revoke': {
    operationId: 'revokeToken',
    summary: 'Revoke an access or refresh token (RFC 7009)',
    description: 'Revoking an access token also kills the refresh token issued with it; the session lives on. Answers 200 whether or not the token was known, and does nothing to a token of another client.',
    tags: [TAG],
    security: SECURITY.client,
    requestBody: { required: true, content: { [FORM_TYPE]: formBody(RevokeRequest), [JSON_TYPE]: { schema: RevokeRequest } } },
    responses: {
      200: doc('Done (or nothing to do)', Type.Object({}, { additionalProperties: false })),
      ...oauthErrors({ 400: [['invalid_request', 'Missing required parameter "token"']], 401: [['invalid_client', 'Client authentication required']] })
    }
  },
  'POST /oauth20/introspect': {
    operationId: 'introspectToken',
    summary: 'Introspect a token (RFC 7662; confidential keys)',
    description: 'What an access or refresh token of the caller\'s site stands for. Anything unknown, dead or of another site answers `{"active":false}`.',
    tags: [TAG],
    security: SECURITY.confidential,
    requestBody: { required: true, content: { [FORM_TYPE]: formBody(RevokeRequest), [JSON_TYPE]: { schema: RevokeRequest } } },
    responses: {
      200: doc('The token\'s state', ref('Introspection')),
      ...oauthErrors({ 400: [['invalid_request', 'Missing required parameter "token"']], 401: [['invalid_client', 'Introspection needs a confidential client']] })
    }
  },
  'GET /.well-known/oauth-authorization-server': {
    operationId: 'getServerMetadata',
    summary: 'Authorization server metadata (RFC 8414)',
    description: 'Where the token, revocation and introspection endpoints are and what they support, for OAuth libraries that discover them.',
    tags: [TAG],
    security: SECURITY.none,
    responses: { 200: doc('The metadata', ref('ServerMetadata')), ...oauthErrors({}) }
  }
};
