import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.js';
import { readParams, type Params } from './params.js';
import { jsonpCallback, sendDocument, sendJSONP, shopperFormat, toXML } from './render.js';

/**
 * Which error body a route speaks (CONTRACT §3): `oauth` → `{error, error_description}`;
 * `shopper` → `{errors:{error:[{relation, code, description}]}}`; `site-action` → the OAuth
 * body, as JSONP when a valid callback was asked for; `page` → a small HTML page.
 */
export type Surface = 'oauth' | 'shopper' | 'site-action' | 'page';

declare module 'fastify' {
  interface FastifyContextConfig {
    surface?: Surface;
  }
}

function toServiceError(err: FastifyError | ServiceError | Error): ServiceError {
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
      return new ServiceError(415, 'invalid_request', 'Unsupported Content-Type; send application/x-www-form-urlencoded or application/json');
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

export function sendError(request: FastifyRequest, reply: FastifyReply, err: ServiceError, surface: Surface): FastifyReply {
  for (const [name, value] of Object.entries(err.headers)) {
    reply.header(name, value);
  }
  reply.header('cache-control', 'no-store');
  const params = safeParams(request);
  if (surface === 'shopper') {
    const document = {
      errors: { error: [{ relation: `${request.protocol}://${request.host}${request.url.split('?')[0]}`, code: err.code, description: err.description }] }
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
    const format = params.get('format')?.toLowerCase() === 'json' ? 'json' : 'xml';
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
  if (url.startsWith('/v1/shoppers/me')) return 'shopper';
  if (url.startsWith('/store/')) return 'page';
  return 'oauth';
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    // A 5xx is logged once, by its access line at `error` with this error (src/http/request-logger.ts).
    const serviceError = toServiceError(err);
    return sendError(request, reply, serviceError, surfaceOf(request));
  });
  app.setNotFoundHandler(async (request, reply) => {
    return sendError(request, reply, new ServiceError(404, 'resource-not-found', 'Not found'), surfaceOf(request));
  });
}
