import { Type } from '@sinclair/typebox';
import { HEADERS, JSON_TYPE, SECURITY, SERVER_ERROR_OAUTH, XML_TYPE, path, query, type Operations } from './common.js';
import { ref } from './schemas.js';

const TAG = 'Browser session';
const JS_TYPE = 'application/javascript';

const SESSION = { session_token: '1A9C61A6B8B54BD7087A5AD8986A17FA' };
const TOKEN = { token: { access_token: '9f3c1d7ae0b54c2a8e6f1b0d4c3a2e19f8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3', token_type: 'bearer', expires_in: '86397', refresh_token: '4b2e8c1f9a7d6e5c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c' } };

const JSONP = Type.String({ pattern: '^/\\*\\*/[A-Za-z_$][0-9A-Za-z_$.]*\\(.*\\);$', description: 'JSONP: `/**/callback({...});`' });

/** The site action, called from the shopper's browser on the store origin. */
export const SITE_ACTION_OPERATIONS: Operations = {
  'GET /store/:siteId/:action': {
    operationId: 'siteAction',
    summary: 'Get the browser\'s session token, or a limited token for it (site action SessionToken)',
    description: `Called from the shopper's browser on the store origin. Reads the site's session cookie, or starts a new
session and sets the cookie (\`HttpOnly\`, \`Path=/store/{siteId}\`). Without \`apiKey\` it answers the session token, a
bearer secret the page may hand to its app so the app can join the same session (\`dr_session_token\` of the
token endpoint). With a **public** \`apiKey\` it answers a limited access token for that session instead.

Formats: \`format=json\`, or no \`format\` with \`Accept: application/json\`, gives JSON; otherwise XML. A \`callback\`
parameter wraps the JSON as JSONP (\`application/javascript\`), as jQuery's \`dataType: "jsonp"\` asks, cache-buster
\`_\` included. A site that lists \`allowedOrigins\` refuses pages of other origins (403). Every answer carries
\`Cache-Control: no-store\`.`,
    tags: [TAG],
    security: SECURITY.optionalApiKey,
    parameters: [
      path('siteId', 'The store', { type: 'string', examples: ['acme'] }),
      path('action', 'The site action; matched case-insensitively', { type: 'string', enum: ['SessionToken'] }),
      query('format', '`json` or `xml`; without it JSON when `Accept` asks for `application/json`, otherwise XML', { type: 'string', enum: ['json', 'xml'] }, { example: 'json' }),
      query('callback', 'JSONP callback name (at most 128 characters, a dotted JavaScript identifier)', { type: 'string', maxLength: 128, pattern: '^[A-Za-z_$][0-9A-Za-z_$]*(\\.[A-Za-z_$][0-9A-Za-z_$]*)*$' }),
      query('_', 'jQuery\'s cache-buster; ignored', { type: 'string' })
    ],
    responses: {
      200: {
        description: 'The session token (no apiKey) or a limited token document (public apiKey)',
        headers: { 'Cache-Control': HEADERS.cacheControl, 'Set-Cookie': { description: 'The session cookie, when a new session was started', schema: { type: 'string' } } },
        content: {
          [JSON_TYPE]: {
            schema: { oneOf: [ref('SessionTokenDocument'), ref('TokenDocument')] },
            examples: { 'session-token': { summary: 'No apiKey: the session token', value: SESSION }, token: { summary: 'A public apiKey: a limited token', value: TOKEN } }
          },
          [XML_TYPE]: { schema: { oneOf: [ref('SessionTokenDocument'), ref('TokenDocument')] }, example: `<?xml version="1.0" encoding="UTF-8"?><session_token>${SESSION.session_token}</session_token>` },
          [JS_TYPE]: { schema: JSONP, example: `/**/jQuery3600_1700000000000(${JSON.stringify(SESSION)});` }
        }
      },
      ...errors()
    },
    servers: [{ url: '{store}', description: 'The store origin' }]
  }
};

function errors(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const list: Array<[number, string, string, string]> = [
    [400, 'Invalid callback name', 'invalid_request', 'Invalid callback name'],
    [401, 'The apiKey is not a public key of this site', 'invalid_client', 'The apiKey must be a public key of this site'],
    [403, 'The including page is not of an allowed origin', 'forbidden', 'This page may not request a session token'],
    [404, 'Unknown site or site action', 'resource-not-found', 'Unknown site'],
    [429, 'Too many new sessions; wait `Retry-After` seconds', 'rate-limit-exceeded', 'Too many requests; retry later']
  ];
  for (const [status, description, code, text] of list) {
    const value = { error: code, error_description: text };
    out[status] = {
      description,
      headers: { 'Cache-Control': HEADERS.cacheControl, ...(status === 429 ? { 'Retry-After': HEADERS.retryAfter } : {}) },
      content: {
        [JSON_TYPE]: { schema: ref('OAuthError'), example: value },
        [XML_TYPE]: { schema: Type.Object({ error: ref('OAuthError') }), example: `<?xml version="1.0" encoding="UTF-8"?><error><error>${code}</error><error_description>${text}</error_description></error>` },
        [JS_TYPE]: { schema: JSONP, example: `/**/cb(${JSON.stringify(value)});` }
      }
    };
  }
  out.default = SERVER_ERROR_OAUTH;
  return out;
}
