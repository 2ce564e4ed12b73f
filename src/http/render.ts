import type { FastifyReply, FastifyRequest } from 'fastify';
import { XMLBuilder } from 'fast-xml-parser';
import { InvalidRequest } from '../errors.js';
import type { Params } from './params.js';

/** `plain`: RFC 6749 JSON; `json`/`xml`: the Global Commerce document. */
export type OAuthFormat = 'plain' | 'json' | 'xml';

const xml = new XMLBuilder({ ignoreAttributes: true, suppressEmptyNode: false, processEntities: true });

export function toXML(document: Record<string, unknown>): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' + xml.build(document);
}

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function suffixFormat(request: FastifyRequest): 'json' | 'xml' | null {
  const path = pathOf(request).toLowerCase();
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.xml')) return 'xml';
  return null;
}

/**
 * Which routes speak which default, in one place: a `.json`/`.xml` path suffix, then
 * `format=json|xml`, then (where the route honours it) `Accept: application/json`, then the route's
 * default. The token endpoint and /v1/shoppers/token ignore Accept: with no format they answer the
 * plain RFC 6749 body that OAuth libraries (and Digital River's plugin, which sends
 * `Accept: application/json`) read.
 */
export type FormatRule = 'token' | 'site-action' | 'shopper' | 'token-info';

const FORMAT_RULES: Record<FormatRule, { fallback: OAuthFormat; accept: boolean }> = {
  token: { fallback: 'plain', accept: false },
  'site-action': { fallback: 'xml', accept: true },
  shopper: { fallback: 'xml', accept: true },
  'token-info': { fallback: 'json', accept: true }
};

const ACCEPT_JSON = /application\/json/i;

export function negotiateFormat(request: FastifyRequest, params: Params, rule: FormatRule): OAuthFormat {
  const suffix = suffixFormat(request);
  if (suffix !== null) return suffix;
  const format = params.get('format')?.toLowerCase();
  if (format === 'json' || format === 'xml') return format;
  const { fallback, accept } = FORMAT_RULES[rule];
  if (accept && ACCEPT_JSON.test(request.headers.accept ?? '')) return 'json';
  return fallback;
}

export function oauthFormat(request: FastifyRequest, params: Params): OAuthFormat {
  return negotiateFormat(request, params, 'token');
}

/** Shopper API: JSON for format=json, a .json suffix or Accept: application/json; else XML. */
export function shopperFormat(request: FastifyRequest, params: Params): 'json' | 'xml' {
  return negotiateFormat(request, params, 'shopper') === 'json' ? 'json' : 'xml';
}

/** The site action: JSON for format=json or (no format) Accept: application/json; else XML. */
export function siteActionFormat(request: FastifyRequest, params: Params): 'json' | 'xml' {
  return negotiateFormat(request, params, 'site-action') === 'json' ? 'json' : 'xml';
}

export function sendDocument(reply: FastifyReply, document: Record<string, unknown>, format: 'plain' | 'json' | 'xml', status = 200): FastifyReply {
  reply.code(status);
  if (format === 'xml') {
    return reply.type('application/xml; charset=utf-8').send(toXML(document));
  }
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(document));
}

const CALLBACK_PATTERN = /^[A-Za-z_$][0-9A-Za-z_$]*(\.[A-Za-z_$][0-9A-Za-z_$]*)*$/;

/** A JSONP callback name, checked, or null when none was asked for. */
export function jsonpCallback(params: Params): string | null {
  const callback = params.get('callback');
  if (callback === undefined) {
    return null;
  }
  if (callback.length === 0 || callback.length > 128 || !CALLBACK_PATTERN.test(callback)) {
    throw new InvalidRequest('Invalid callback name');
  }
  return callback;
}

/**
 * The JSONP body: `/**\/name({...});`. The leading comment defuses the Rosetta Flash family of
 * attacks; U+2028/U+2029 and `<` are escaped so the JSON stays one inert script expression.
 */
export function jsonpBody(callback: string, document: unknown): string {
  const json = JSON.stringify(document)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
    .replace(/</g, '\\u003c');
  return `/**/${callback}(${json});`;
}

export function sendJSONP(reply: FastifyReply, callback: string, document: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/javascript; charset=utf-8').send(jsonpBody(callback, document));
}
