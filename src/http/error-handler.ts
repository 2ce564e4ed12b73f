import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { MethodNotAllowed, printable, ServiceError } from '../errors.js';
import { readParams, type Params } from './params.js';
import { jsonpCallback, sendDocument, sendJSONP, shopperFormat, siteActionFormat, toXML } from './render.js';

/**
 * Which error body a route speaks: `oauth` → `{error, error_description}`;
 * `shopper` → `{errors:{error:[{relation, code, description}]}}`; `site-action` → the OAuth
 * body, as JSONP when a valid callback was asked for; `page` → a small HTML page.
 */
export type Surface = 'oauth' | 'shopper' | 'site-action' | 'page';

declare module 'fastify' {
  interface FastifyContextConfig {
    surface?: Surface;
  }
}

function toServiceError(err: FastifyError | ServiceError | Error, request: FastifyRequest): ServiceError {
  if (err instanceof ServiceError) {
    return err;
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (err as FastifyError).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return new ServiceError(413, 'invalid_request', 'Request body too large');
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const sent = printable(String(request.headers['content-type'] ?? '').split(';')[0]!.trim());
      return new ServiceError(415, 'invalid_request', `Unsupported Content-Type "${sent}": send application/x-www-form-urlencoded or application/json (or parameters in the query)`);
    }
    if (status === 404) {
      return new ServiceError(404, 'resource-not-found', 'Not found');
    }
    return new ServiceError(status, 'invalid_request', 'Malformed request');
  }
  return new ServiceError(500, 'server_error', 'Internal server error');
}

function safeParams(request: FastifyRequest): Params {
  try {
    return readParams(request);
  } catch {
    return new Map();
  }
}

/**
 * The `relation` of a Shopper API error: the resource's URL under PUBLIC_API_URL, never built from
 * the request's Host header (an attacker-chosen value). Only the path is kept: no query (it may
 * carry a token), bounded in length.
 */
function relationOf(request: FastifyRequest): string {
  const base = request.server.config.publicApiURL.replace(/\/$/, '');
  const path = request.url.split('?')[0] ?? '';
  return base + path.slice(0, 512);
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: ServiceError, surface: Surface): FastifyReply {
  for (const [name, value] of Object.entries(err.headers)) {
    reply.header(name, value);
  }
  reply.header('cache-control', 'no-store');
  const params = safeParams(request);
  if (surface === 'shopper') {
    const document = {
      errors: { error: [{ relation: relationOf(request), code: err.code, description: err.description }] }
    };
    const format = shopperFormat(request, params);
    return sendDocument(reply, document, format, err.status);
  }
  if (surface === 'page') {
    const escaped = err.description.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return reply.code(err.status).type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>${err.status}</h1><p>${escaped}</p></body></html>`);
  }
  const document = { error: err.code, error_description: err.description };
  if (surface === 'site-action') {
    let callback: string | null = null;
    try {
      callback = jsonpCallback(params);
    } catch {
      callback = null;
    }
    if (callback !== null) {
      return sendJSONP(reply, callback, document, err.status);
    }
    const format = siteActionFormat(request, params);
    if (format === 'xml') {
      return reply.code(err.status).type('application/xml; charset=utf-8').send(toXML({ error: document }));
    }
    return sendDocument(reply, document, 'json', err.status);
  }
  return sendDocument(reply, document, 'json', err.status);
}

function surfaceOf(request: FastifyRequest): Surface {
  const configured = request.routeOptions?.config?.surface;
  if (configured !== undefined) return configured;
  const url = request.url;
  // Every Shopper API path, known or not (`/v1/shoppers/site`): a client reads `errors.error`, and
  // Digital River's plugin takes a body without it for success.
  if (/^\/v1\/shoppers(?:[/.?]|$)/.test(url) && !/^\/v1\/shoppers\/token(?:[.?]|$)/.test(url)) return 'shopper';
  if (url.startsWith('/store/')) return 'page';
  return 'oauth';
}

/** A route's path as a pattern over request paths (`:param` is one segment, `*` the rest). */
function pathPattern(url: string): RegExp {
  const source = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('');
  return new RegExp(`^${source}/?$`);
}

/**
 * The methods the routes of a path answer, for a 405 with `Allow` instead of a 404 when the path
 * is known but the method is not. Routes hidden from the API reference (CORS preflights, the
 * explicit 405 answers) are not methods a caller should use, so they are left out.
 */
function allowedMethods(routes: Array<{ methods: string[]; pattern: RegExp; options: RouteOptions }>, path: string): string[] {
  const allowed = new Set<string>();
  for (const route of routes) {
    if ((route.options.schema as { hide?: boolean } | undefined)?.hide === true) continue;
    if (!route.pattern.test(path)) continue;
    for (const method of route.methods) allowed.add(method);
  }
  if (allowed.has('GET')) allowed.add('HEAD');
  return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => allowed.has(m));
}

export function installErrorHandling(app: FastifyInstance): void {
  const routes: Array<{ methods: string[]; pattern: RegExp; options: RouteOptions }> = [];
  app.addHook('onRoute', (options) => {
    routes.push({ methods: [options.method].flat(), pattern: pathPattern(options.url ?? options.path ?? ''), options });
  });
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    // A 5xx is logged once, by its access line at `error` with this error (src/http/request-logger.ts).
    const serviceError = toServiceError(err, request);
    return sendError(request, reply, serviceError, surfaceOf(request));
  });
  app.setNotFoundHandler(async (request, reply) => {
    const allow = allowedMethods(routes, request.url.split('?')[0] as string);
    if (allow.length > 0) {
      const err = new MethodNotAllowed(allow.join(', '));
      return sendError(request, reply, new ServiceError(405, err.code, `${request.method} is not allowed here; use ${allow.filter((m) => m !== 'HEAD').join(' or ')}`, err.headers), surfaceOf(request));
    }
    return sendError(request, reply, new ServiceError(404, 'resource-not-found', 'Not found'), surfaceOf(request));
  });
}

/** What a refused Shopper API URL's `relation` names: the API, not anything the client sent. */
const SHOPPER_ROOT = '/v1/shoppers/me';

/**
 * Fastify's own URL errors, raised before any route is found: a malformed percent-encoding (400)
 * and a path parameter over `maxParamLength` (414). They get the error shape of the surface the
 * path points at, and never echo the path: the Shopper API's body names the request URL
 * (`relation`), so there it names the API's root instead.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let error: ServiceError;
  if (err.code === 'FST_ERR_BAD_URL') {
    error = new ServiceError(400, 'invalid_request', 'Malformed request URL');
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    error = new ServiceError(414, 'invalid_request', 'Request URL too long');
  } else {
    error = toServiceError(err, request);
  }
  const surface = surfaceOf(request);
  if (surface === 'shopper') {
    const url = request.raw.url ?? '';
    const query = url.indexOf('?');
    request.raw.url = SHOPPER_ROOT + (query === -1 ? '' : url.slice(query));
  }
  void sendError(request, reply, error, surface);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' };

const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timeout: the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'Request headers too large'],
  HPE_URI_TOO_LONG: [414, 'Request URL too long']
};

/**
 * What node's HTTP parser refuses before Fastify sees a request (too slow, headers too large,
 * unparsable): the OAuth error body, then the socket closes. Nothing of the request is echoed.
 */
export function clientError(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, description] = CLIENT_ERRORS[err.code] ?? [400, 'Malformed request'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
