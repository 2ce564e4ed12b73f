import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.js';

/** Summaries for routes defined without a schema; documentation only, no validation. */
const SUMMARIES: Record<string, [tag: string, summary: string]> = {
  '/store/:siteId/:action': ['global-commerce', 'Site action, e.g. SessionToken: the browser session (CONTRACT §3.1)'],
  '/oauth20/token': ['oauth', 'Token endpoint (CONTRACT §3.2)'],
  '/oauth20/token.json': ['oauth', 'Token endpoint, Global Commerce JSON document'],
  '/oauth20/token.xml': ['oauth', 'Token endpoint, Global Commerce XML document'],
  '/v1/shoppers/token': ['global-commerce', 'Shopper API token for a public key (CONTRACT §3.3)'],
  '/v1/shoppers/token.json': ['global-commerce', 'Shopper API token, JSON'],
  '/v1/shoppers/token.xml': ['global-commerce', 'Shopper API token, XML'],
  '/oauth20/access-tokens': ['oauth', 'Token information; DELETE revokes (CONTRACT §3.4)'],
  '/healthz': ['operations', 'Liveness'],
  '/readyz': ['operations', 'Readiness (database reachable)']
};

/** The 405 answers of existing routes: not operations, so left out of the document. */
const METHOD_STUBS: Record<string, string> = {
  '/oauth20/token': 'DELETE,GET,PATCH,PUT',
  '/oauth20/token.json': 'DELETE,GET,PATCH,PUT',
  '/oauth20/token.xml': 'DELETE,GET,PATCH,PUT',
  '/oauth20/access-tokens': 'PATCH,POST,PUT'
};

function isMethodStub(url: string, method: string | string[]): boolean {
  const methods = (Array.isArray(method) ? [...method] : [method]).sort().join(',');
  return METHOD_STUBS[url] === methods;
}

function tagOf(url: string): string {
  if (url.startsWith('/oauth20') || url.startsWith('/.well-known')) return 'oauth';
  if (url.startsWith('/v1/')) return 'shopper';
  if (url.startsWith('/store/')) return 'store-pages';
  return 'operations';
}

/**
 * OpenAPI at `GET /docs` (UI) and `GET /docs/json` (CONTRACT §5). Register before any route:
 * @fastify/swagger collects routes as they are added.
 */
export async function installDocs(app: FastifyInstance, config: Config): Promise<void> {
  // Give schema-less routes a tag and summary. No body/querystring/response keys are added, so
  // nothing is validated or serialized differently.
  app.addHook('onRoute', (route) => {
    if (route.schema !== undefined) return;
    if (isMethodStub(route.url, route.method)) {
      route.schema = { hide: true };
      return;
    }
    const known = SUMMARIES[route.url];
    route.schema = known !== undefined ? { tags: [known[0]], summary: known[1] } : { tags: [tagOf(route.url)] };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sessionlink',
        description: 'Session-aware access tokens: one shopper session shared by the browser and OAuth tokens',
        version: '0.1.0'
      },
      servers: [{ url: config.publicApiURL }]
    }
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
