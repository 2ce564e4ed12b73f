import { Type } from '@sinclair/typebox';
import { JSON_TYPE, doc, oauthErrors, type Operations } from './common.js';
import { ref } from './schemas.js';

const TAG = 'Operations';

export const OPERATIONS_OPERATIONS: Operations = {
  'GET /': {
    operationId: 'home',
    summary: 'The start page: links to the demo storefront, this reference and the health checks',
    tags: [TAG],
    security: [],
    responses: {
      200: { description: 'A small HTML page', content: { 'text/html': { schema: Type.String() } } },
      ...oauthErrors({})
    }
  },
  'GET /favicon.ico': {
    operationId: 'favicon',
    summary: 'The site icon, so browsers asking for it get no 404',
    tags: [TAG],
    security: [],
    responses: {
      200: {
        description: 'The icon',
        content: Object.fromEntries(['image/x-icon', 'image/vnd.microsoft.icon', 'image/svg+xml', 'image/png'].map((type) => [type, { schema: {} }]))
      },
      204: { description: 'No icon' },
      ...oauthErrors({})
    }
  },
  'GET /healthz': {
    operationId: 'liveness',
    summary: 'Liveness: the process answers',
    tags: [TAG],
    security: [],
    responses: { 200: doc('Alive', ref('Health')), ...oauthErrors({}) }
  },
  'GET /readyz': {
    operationId: 'readiness',
    summary: 'Readiness: the database (and Redis, when configured) answer',
    description: 'For a load balancer: 503 while the database or a configured Redis is down.',
    tags: [TAG],
    security: [],
    responses: {
      200: doc('Ready', ref('Readiness')),
      503: { description: 'Not ready: the body says which dependency is down', content: { [JSON_TYPE]: { schema: ref('Readiness') } } },
      ...oauthErrors({})
    }
  },
  'GET /metrics': {
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description: 'Text exposition format: requests by route and status, token grants by kind and result, live sessions, and the Node.js process.',
    tags: [TAG],
    security: [],
    responses: {
      200: { description: 'The metrics', content: { 'text/plain': { schema: Type.String({ description: 'Prometheus text format 0.0.4' }) } } },
      ...oauthErrors({})
    }
  },
  'GET /sessionlink.js': {
    operationId: 'browserScript',
    summary: 'The browser script: getSessionToken() and checkout() for a storefront page',
    description: 'Dependency-free; include it from any storefront origin. Cached for 5 minutes, then revalidated by `ETag`.',
    tags: ['Browser session'],
    security: [],
    responses: {
      200: {
        description: 'The script',
        headers: { ETag: { description: 'Content hash', schema: { type: 'string' } } },
        content: { 'application/javascript': { schema: Type.String() } }
      },
      304: { description: 'Not modified (`If-None-Match` matched the `ETag`)' },
      ...oauthErrors({})
    }
  }
};
