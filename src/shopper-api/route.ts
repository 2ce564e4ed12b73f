import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseVersion, type CartView } from '../domain/cart.js';
import { param, type Params } from '../http/params.js';
import { sendDocument, shopperFormat } from '../http/render.js';
import { cartDocument } from './documents.js';

/** `path` and `path.json` (and `.xml`), one handler. */
function both(path: string): string[] {
  return [path, `${path}.json`, `${path}.xml`];
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
/** Registers a Shopper API route, with `.json`/`.xml` suffixes when the path ends in a literal. */
export function shopperRoute(app: FastifyInstance, options: { method: string | string[]; url: string; handler: Handler }): void {
  const urls = options.url.includes('/:') ? [options.url] : both(options.url);
  for (const url of urls) {
    app.route({ method: options.method as never, url, config: { surface: 'shopper' }, handler: options.handler });
  }
}

export function send(request: FastifyRequest, reply: FastifyReply, params: Params, document: Record<string, unknown>, status = 200): FastifyReply {
  reply.header('cache-control', 'no-store');
  return sendDocument(reply, document, shopperFormat(request, params), status);
}

export function sendCart(request: FastifyRequest, reply: FastifyReply, params: Params, me: string, view: CartView): FastifyReply {
  reply.header('etag', `"${view.version}"`);
  return send(request, reply, params, cartDocument(me, view));
}

export function expectedVersion(request: FastifyRequest, params: Params): number | null {
  const fromParam = parseVersion(param(params, 'version'));
  if (fromParam !== null) return fromParam;
  const ifMatch = request.headers['if-match'];
  return parseVersion(typeof ifMatch === 'string' ? ifMatch : undefined);
}
