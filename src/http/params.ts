import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';

/** Request parameters from the query and the body; the body wins. */
export type Params = Map<string, string>;

/** Aliases the contract names: each maps to one canonical name. */
const ALIASES: Record<string, string> = {
  dr_session_token: 'session_token',
  sessionToken: 'session_token',
  session_token: 'session_token',
  apiKey: 'client_id',
  client_id: 'client_id'
};

export const MAX_PARAM_LENGTH = 4096;

/**
 * The resource names Digital River's clients wrap a JSON body in (`{"shopper":{…}}`,
 * `{"cart":{…}}`). At the top level of a body such a wrapper is never a
 * flat parameter: a route that takes it reads it with `readParams(request, name)` or `wrappedBody`;
 * any other route ignores it, as it ignores every unknown parameter.
 */
const WRAPPERS = new Set(['shopper', 'cart', 'lineItem', 'lineItems']);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function addAll(into: Params, source: unknown, options: { skipWrappers?: boolean; scalarsOnly?: boolean } = {}): void {
  if (!isObject(source)) {
    return;
  }
  for (const [rawName, value] of Object.entries(source)) {
    const name = ALIASES[rawName] ?? rawName;
    if (value === undefined || value === null) {
      continue;
    }
    if (options.skipWrappers === true && WRAPPERS.has(rawName) && typeof value !== 'string') {
      continue;
    }
    if (options.scalarsOnly === true && typeof value === 'object') {
      // Nested structure inside a wrapper (line items, addresses): read by the route that needs it.
      continue;
    }
    if (Array.isArray(value)) {
      // RFC 6749 §3.1: parameters must not be included more than once.
      throw new InvalidRequest(`Parameter "${rawName.slice(0, 64)}" is repeated`);
    }
    let text: string;
    if (typeof value === 'string') {
      text = value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      text = String(value);
    } else {
      throw new InvalidRequest(`Parameter "${rawName.slice(0, 64)}" must be a string`);
    }
    if (text.length > MAX_PARAM_LENGTH) {
      throw new InvalidRequest(`Parameter "${rawName.slice(0, 64)}" is too long`);
    }
    if (text.includes('\0')) {
      throw new InvalidRequest(`Parameter "${rawName.slice(0, 64)}" contains a NUL character`);
    }
    into.set(name, text);
  }
}

/**
 * The object a JSON body wraps in `name` (`{"cart":{…}}`), or null when there is none (absent,
 * `null` or `""`, which Digital River's plugin sends for "no changes"). Anything else is a 400.
 */
export function wrappedBody(request: FastifyRequest, name: string): Record<string, unknown> | null {
  const body = request.body;
  if (!isObject(body) || !(name in body)) return null;
  const inner = body[name];
  if (inner === null || inner === undefined || inner === '') return null;
  if (!isObject(inner)) {
    throw new InvalidRequest(`"${name}" must be an object, as in {"${name}":{…}}`);
  }
  return inner;
}

/**
 * Parameters from the query, then the body, then (when the route takes one) the scalar fields of
 * the body's wrapper object, each overriding the one before: `{"shopper":{"locale":"de_DE"}}`
 * reads as `locale=de_DE`.
 */
export function readParams(request: FastifyRequest, wrapper?: string): Params {
  const params: Params = new Map();
  addAll(params, request.query);
  const fromBody: Params = new Map();
  addAll(fromBody, request.body, { skipWrappers: true });
  if (wrapper !== undefined) {
    addAll(fromBody, wrappedBody(request, wrapper), { scalarsOnly: true });
  }
  for (const [name, value] of fromBody) {
    params.set(name, value);
  }
  return params;
}

/** A parameter, or undefined when absent or empty. */
/**
 * Whether a path segment can name a stored id at all. Ids are letters, digits, ".", "_" and "-"
 * (checked when they are made); a NUL byte never matches one, and PostgreSQL refuses NUL in text,
 * so such a segment is answered as "not found" before any lookup, on every database alike.
 */
export function couldBeId(segment: string): boolean {
  return !segment.includes('\0');
}

export function param(params: Params, name: string): string | undefined {
  const value = params.get(name);
  return value === undefined || value === '' ? undefined : value;
}

export function requireParam(params: Params, name: string): string {
  const value = param(params, name);
  if (value === undefined) {
    throw new InvalidRequest(`Missing required parameter "${name}"`);
  }
  return value;
}
