import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.js';
import { finishDocument, lookupOperation } from './openapi/index.js';

/** The 405 answers of existing routes: not operations, so left out of the document. */
const METHOD_STUBS: Record<string, string> = {
  '/oauth20/token': 'DELETE,GET,PATCH,PUT',
  '/oauth20/token.json': 'DELETE,GET,PATCH,PUT',
  '/oauth20/token.xml': 'DELETE,GET,PATCH,PUT',
  '/oauth20/access-tokens': 'PATCH,POST,PUT',
  '/oauth20/access-tokens.json': 'PATCH,POST,PUT',
  '/oauth20/access-tokens.xml': 'PATCH,POST,PUT'
};

function methodsOf(method: string | string[]): string[] {
  return Array.isArray(method) ? [...method] : [method];
}

function isMethodStub(url: string, method: string | string[]): boolean {
  return METHOD_STUBS[url] === methodsOf(method).sort().join(',');
}

/** Every route each app registered after installDocs, as `METHOD url`, and whether it is hidden. */
const registered = new WeakMap<FastifyInstance, Array<{ key: string; hidden: boolean }>>();

/**
 * Routes that are in the document without documentation of their own (src/http/openapi/):
 * a test keeps this empty, so no route is added undocumented. HEAD (the twin of a GET) and
 * hidden routes (`schema.hide`, such as 405 answers) are not operations.
 */
export function undocumentedRoutes(app: FastifyInstance): string[] {
  return (registered.get(app) ?? [])
    .filter((r) => !r.hidden)
    .map((r) => r.key)
    .filter((key) => {
      const space = key.indexOf(' ');
      return lookupOperation(key.slice(0, space), key.slice(space + 1)) === null;
    });
}

/** Every route each app registered after installDocs (`METHOD url`), hidden ones included. */
export function registeredRoutes(app: FastifyInstance): string[] {
  return (registered.get(app) ?? []).map((r) => r.key);
}

/**
 * OpenAPI at `GET /docs` (UI) and `GET /docs/json`. Register before any route: @fastify/swagger
 * collects routes as they are added. The documentation itself lives in src/http/openapi/ and is
 * merged in by `transformObject`: no route gets a body, querystring or response schema from it,
 * so nothing is validated or serialised differently.
 */
export async function installDocs(app: FastifyInstance, config: Config): Promise<void> {
  const routes: Array<{ key: string; hidden: boolean }> = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    if (route.schema === undefined && isMethodStub(route.url, route.method)) {
      route.schema = { hide: true };
    }
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of methodsOf(route.method)) {
      if (method === 'HEAD') continue;
      routes.push({ key: `${method} ${route.url}`, hidden: hidden || method === 'OPTIONS' });
    }
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Sessionlink', version: '0.1.0' },
      servers: [{ url: config.publicApiURL }]
    },
    transformObject: (documentObject) => finishDocument((documentObject as unknown as { openapiObject: Parameters<typeof finishDocument>[0] }).openapiObject, config) as never
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, docExpansion: 'list' }
  });
}
