import { TOKEN_REASONS } from '../../errors.js';
import type { TSchema } from '@sinclair/typebox';
import { ref } from './schemas.js';

/** The OpenAPI 3.1 pieces this reference uses, loosely typed (the validator test checks them). */
export type Json = Record<string, unknown>;

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  security?: Array<Record<string, string[]>>;
  /** The hosted pages and the site action live on the store origin. */
  servers?: Json[];
}

/** Method + Fastify URL (`GET /v1/shoppers/me/orders/:orderId`) → its documentation. */
export type Operations = Record<string, Operation>;

export const JSON_TYPE = 'application/json';
export const XML_TYPE = 'application/xml';
export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Security requirements: any one entry of the list is enough. */
type Requirement = Array<Record<string, string[]>>;
export const SECURITY: Record<'client' | 'confidential' | 'bearer' | 'bearerOrApiKey' | 'apiKeyOrBearer' | 'publicKey' | 'optionalApiKey' | 'none', Requirement> = {
  /** Client authentication on the OAuth endpoints. */
  client: [{ clientBasic: [] }, { clientId: [] }, { bearer: [] }],
  confidential: [{ clientBasic: [] }],
  bearer: [{ bearer: [] }],
  bearerOrApiKey: [{ bearer: [] }, { apiKey: [] }],
  apiKeyOrBearer: [{ apiKey: [] }, { bearer: [] }],
  publicKey: [{ apiKey: [] }, { clientId: [] }],
  optionalApiKey: [{}, { apiKey: [] }],
  none: []
};

/**
 * A form body (`application/x-www-form-urlencoded`). Its optional fields default to empty:
 * Swagger UI fills its form with each field's sample and sends every non-empty one, so without
 * this it would invent values ("string") for every optional field and send them.
 */
export function formBody(schema: TSchema, examples?: Json): Json {
  const copy = JSON.parse(JSON.stringify(schema)) as { properties?: Record<string, Json>; required?: string[] };
  for (const [name, property] of Object.entries(copy.properties ?? {})) {
    if (!(copy.required ?? []).includes(name)) property.default = '';
  }
  return examples === undefined ? { schema: copy } : { schema: copy, examples };
}

export function query(name: string, description: string, schema: Json = { type: 'string' }, extra: Json = {}): Json {
  return { name, in: 'query', description, required: false, schema, ...extra };
}

export function path(name: string, description: string, schema: Json = { type: 'string' }): Json {
  return { name, in: 'path', required: true, description, schema };
}

export function header(name: string, description: string, schema: Json = { type: 'string' }): Json {
  return { name, in: 'header', required: false, description, schema };
}

export const FORMAT_SHOPPER = query('format', 'Answer as JSON or XML. Without it: JSON when `Accept` asks for `application/json`, otherwise XML. A `.json` or `.xml` suffix on the path does the same.', { type: 'string', enum: ['json', 'xml'] }, { example: 'json' });
export const TOKEN_PARAM = query('token', 'The access token, when it cannot go in an `Authorization: Bearer` header', { type: 'string' });

/** A response with a JSON body (and the same document as XML when `xml` is set). */
export function doc(description: string, schema: TSchema | Json, options: { xml?: boolean; examples?: Json; headers?: Json } = {}): Json {
  const content: Json = { [JSON_TYPE]: options.examples === undefined ? { schema } : { schema, examples: options.examples } };
  if (options.xml === true) content[XML_TYPE] = { schema };
  return options.headers === undefined ? { description, content } : { description, headers: options.headers, content };
}

const H = {
  cacheControl: { description: 'Always `no-store`', schema: { type: 'string', examples: ['no-store'] } },
  wwwAuthBasic: { description: '`Basic realm="sessionlink"`: the client must authenticate', schema: { type: 'string' } },
  wwwAuthBearer: { description: '`Bearer error="invalid_token", error_description="…"`', schema: { type: 'string' } },
  retryAfter: { description: 'Seconds to wait before trying again', schema: { type: 'integer' } },
  rateLimit: { description: 'The budget of the window', schema: { type: 'integer' } },
  rateRemaining: { description: 'What is left of the budget in this window', schema: { type: 'integer' } },
  allow: { description: 'The methods this path answers', schema: { type: 'string' } }
};
export const HEADERS = H;

function errorExamples(cases: Array<[string, string]>, body: (code: string, text: string) => Json): Json {
  const examples: Json = {};
  for (const [code, text] of cases) {
    let name = code;
    for (let n = 2; name in examples; n++) name = `${code}_${n}`;
    examples[name] = { summary: text, value: body(code, text) };
  }
  return examples;
}

const oauthBody = (code: string, text: string): Json => ({ error: code, error_description: text });
const shopperBody = (code: string, text: string): Json => ({
  errors: { error: [{ relation: 'https://api.example.com/v1/shoppers/me/carts/active', code, description: text }] }
});

export const SERVER_ERROR_OAUTH: Json = {
  description: 'Unexpected server error (`server_error`)',
  content: { [JSON_TYPE]: { schema: ref('OAuthError'), example: oauthBody('server_error', 'Internal server error') } }
};

/** OAuth error responses (`{"error","error_description"}`), by status, with example cases. */
export function oauthErrors(cases: Partial<Record<400 | 401 | 403 | 404 | 405 | 413 | 415 | 429, Array<[string, string]>>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  const describe: Record<number, string> = {
    400: 'Bad request: a missing or invalid parameter, or a grant that cannot be honoured',
    401: 'The client or token could not be authenticated',
    403: 'Not allowed from here',
    404: 'Not found',
    405: 'Wrong method; `Allow` lists the right ones',
    413: 'Request body too large',
    415: 'Unsupported Content-Type; send application/x-www-form-urlencoded or application/json',
    429: 'Too many requests; wait `Retry-After` seconds'
  };
  for (const [status, list] of Object.entries(cases)) {
    const code = Number(status);
    const headers: Json = { 'Cache-Control': H.cacheControl };
    if (code === 401 && list.some(([c]) => c === 'invalid_client')) headers['WWW-Authenticate'] = H.wwwAuthBasic;
    if (code === 401 && list.some(([c]) => c === 'invalid_token')) headers['WWW-Authenticate'] = H.wwwAuthBearer;
    if (code === 429) Object.assign(headers, { 'Retry-After': H.retryAfter, 'X-RateLimit-Limit': H.rateLimit, 'X-RateLimit-Remaining': H.rateRemaining });
    if (code === 405) headers.Allow = H.allow;
    out[status] = {
      description: describe[code],
      headers,
      content: { [JSON_TYPE]: { schema: ref('OAuthError'), examples: errorExamples(list, oauthBody) } }
    };
  }
  out.default = SERVER_ERROR_OAUTH;
  return out;
}

/** Shopper API error responses (`{"errors":{"error":[…]}}`, JSON or XML), by status. */
export function shopperErrors(cases: Partial<Record<400 | 401 | 403 | 404 | 409 | 413 | 415 | 429, Array<[string, string]>>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  const describe: Record<number, string> = {
    400: 'A parameter or body field is invalid (`invalid-request`)',
    401: 'The access token is missing, unknown, expired, revoked or re-keyed (`invalid_token`); the description says which',
    403: 'The token may not do this (`forbidden`): a limited token on a signed-in shopper\'s resource, or a token of another site',
    404: 'No such resource (`resource-not-found`)',
    409: 'The cart changed under the caller (send the current `version`), or is empty',
    413: 'Request body too large',
    415: 'Unsupported Content-Type; send application/x-www-form-urlencoded or application/json',
    429: 'Too many requests for this API key (`rate-limit-exceeded`); wait `Retry-After` seconds'
  };
  for (const [status, list] of Object.entries(cases)) {
    const code = Number(status);
    const headers: Json = { 'Cache-Control': H.cacheControl };
    if (code === 401) headers['WWW-Authenticate'] = H.wwwAuthBearer;
    if (code === 429) Object.assign(headers, { 'Retry-After': H.retryAfter, 'X-RateLimit-Limit': H.rateLimit, 'X-RateLimit-Remaining': H.rateRemaining });
    out[status] = {
      description: describe[code],
      headers,
      content: {
        [JSON_TYPE]: { schema: ref('ShopperApiError'), examples: errorExamples(list, shopperBody) },
        [XML_TYPE]: { schema: ref('ShopperApiError') }
      }
    };
  }
  out.default = {
    description: 'Unexpected server error (`server_error`)',
    content: { [JSON_TYPE]: { schema: ref('ShopperApiError'), example: shopperBody('server_error', 'Internal server error') }, [XML_TYPE]: { schema: ref('ShopperApiError') } }
  };
  return out;
}

/** The common Shopper API failures of a call with a Bearer token. */
export const TOKEN_FAILURES: Array<[string, string]> = [
  ['invalid_token', TOKEN_REASONS.expired],
  ['invalid_token', TOKEN_REASONS.revoked],
  ['invalid_token', TOKEN_REASONS.rekeyed],
  ['invalid_token', TOKEN_REASONS.unknown]
];
