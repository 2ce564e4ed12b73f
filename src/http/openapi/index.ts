import type { Config } from '../../config.js';
import type { Json, Operation, Operations } from './common.js';
import { HOSTED_PAGE_OPERATIONS } from './hosted-pages.js';
import { OAUTH_OPERATIONS } from './oauth.js';
import { OPERATIONS_OPERATIONS } from './operations.js';
import { SCHEMAS } from './schemas.js';
import { SHOPPER_API_OPERATIONS } from './shopper-api.js';
import { SITE_ACTION_OPERATIONS } from './site-action.js';

/**
 * The API reference, kept apart from the routes: each route's documentation is keyed by its
 * method and Fastify URL, and merged into the document @fastify/swagger generates (docs.ts).
 * Nothing here validates or serialises a request: it only describes.
 */
export const DOCUMENTED: Operations = {
  ...OAUTH_OPERATIONS,
  ...SITE_ACTION_OPERATIONS,
  ...SHOPPER_API_OPERATIONS,
  ...HOSTED_PAGE_OPERATIONS,
  ...OPERATIONS_OPERATIONS
};

const SUFFIX = /\.(json|xml)$/;

export type Lookup = { operation: Operation } | { variantOf: string } | null;

/**
 * The documentation of one route: its own entry, or, for a Shopper API or token-information path with a `.json` or
 * `.xml` suffix, its base path's entry (the variant is left out of the document; the base
 * operation's description says the suffix exists). Null: undocumented.
 */
export function lookupOperation(method: string, url: string): Lookup {
  const key = `${method.toUpperCase()} ${url}`;
  const operation = DOCUMENTED[key];
  if (operation !== undefined) return { operation };
  if ((url.startsWith('/v1/shoppers') || url.startsWith('/oauth20/access-tokens')) && SUFFIX.test(url)) {
    const base = `${method.toUpperCase()} ${url.replace(SUFFIX, '')}`;
    if (DOCUMENTED[base] !== undefined) return { variantOf: base };
  }
  return null;
}

export const SECURITY_SCHEMES = {
  clientBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'Client authentication on the token endpoint: a confidential API key and its secret, or a public key with an empty secret.'
  },
  clientId: {
    type: 'apiKey',
    in: 'query',
    name: 'client_id',
    description: 'A public API key as the `client_id` parameter (it may also go in the body; `apiKey` is the same parameter).'
  },
  apiKey: {
    type: 'apiKey',
    in: 'query',
    name: 'apiKey',
    description: 'A public API key, as Global Commerce names it: the site action, the Shopper API token call, the catalogue, registration.'
  },
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token from the token endpoint (`Authorization: Bearer …`; the Shopper API also takes it as the `token` parameter).'
  }
};

export const TAGS = [
  { name: 'OAuth tokens', description: 'The token endpoint and its companions. Errors use the OAuth body `{"error","error_description"}`.' },
  { name: 'Browser session', description: 'What a storefront page calls from the shopper\'s browser, on the store origin.' },
  { name: 'Shopper profile', description: 'Shopper API, Bearer token. JSON with `Accept: application/json`, `format=json` or a `.json` suffix; XML otherwise. Bodies may be a form, flat JSON, or JSON wrapped in the resource name (`{"shopper":{…}}`, `{"cart":{…}}`). Errors use `{"errors":{"error":[{"relation","code","description"}]}}`.' },
  { name: 'Catalogue', description: 'Shopper API: the site\'s products; a public `apiKey` is enough.' },
  { name: 'Cart', description: 'Shopper API: the session\'s active cart, the same one the hosted pages show. Send `version` (or `If-Match`) to change it only if nobody else did.' },
  { name: 'Orders', description: 'Shopper API: orders of a signed-in shopper (full token).' },
  { name: 'Hosted store pages', description: 'Server-rendered checkout pages on the store origin; they work without JavaScript.' },
  { name: 'Operations', description: 'Health, readiness and metrics for operators.' }
];

const INTRO = `Session-aware OAuth access tokens: one shopper session shared by the browser (a cookie on the hosted
store pages) and by access tokens (the app and its server).

**Try it out.** Press *Authorize* and fill in what the call needs:
- *clientBasic* for the token endpoint: a confidential key and its secret (the demo site, started without a seed file,
  has \`acme-app\` / \`app-secret-123\`), or a public key with an empty password;
- *clientId* / *apiKey*: a public key (the demo's \`acme-public\`);
- *bearer*: an \`access_token\` from the token endpoint, for token information and the Shopper API (cart, orders, profile).

Every token's \`expires_in\` is the number of seconds left on its session. When a shopper signs in, the session is
re-keyed: it keeps its cart, and every handle made before answers 401 \`Session re-keyed at login\`.`;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** `/a/{b}` (OpenAPI) → `/a/:b` (Fastify). */
export function fastifyURL(openapiPath: string): string {
  return openapiPath.replace(/\{([^}]+)\}/g, ':$1');
}

/**
 * The finished document: the generated paths (which routes exist) with each operation replaced
 * by its documentation, the schemas, security schemes and tags. Used as @fastify/swagger's
 * `transformObject`.
 */
export function finishDocument(generated: { paths?: Record<string, Record<string, unknown>> }, config: Pick<Config, 'publicApiURL' | 'publicStoreURL'>): Json {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [openapiPath, item] of Object.entries(generated.paths ?? {})) {
    const url = fastifyURL(openapiPath);
    for (const [method, generatedOperation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const found = lookupOperation(method, url);
      if (found !== null && 'variantOf' in found) continue;
      const operation = found === null ? generatedOperation : withServers(found.operation, config);
      const item = paths[openapiPath] ?? {};
      paths[openapiPath] = item;
      item[method] = operation;
    }
  }
  // A plain copy: TypeBox marks its schemas with symbol keys, and nothing here may be shared.
  return JSON.parse(JSON.stringify({
    openapi: '3.1.0',
    info: {
      title: 'Sessionlink',
      summary: 'Session-aware access tokens for a commerce storefront',
      description: INTRO,
      version: '0.1.0'
    },
    servers: [{ url: config.publicApiURL, description: 'The API origin (PUBLIC_API_URL)' }],
    tags: TAGS,
    paths,
    components: { schemas: SCHEMAS, securitySchemes: SECURITY_SCHEMES }
  })) as Json;
}

function withServers(operation: Operation, config: Pick<Config, 'publicStoreURL'>): Operation {
  if (operation.servers === undefined) return operation;
  return { ...operation, servers: [{ url: config.publicStoreURL, description: 'The store origin (PUBLIC_STORE_URL)' }] };
}
