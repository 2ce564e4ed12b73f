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

function addAll(into: Params, source: unknown): void {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    return;
  }
  for (const [rawName, value] of Object.entries(source as Record<string, unknown>)) {
    const name = ALIASES[rawName] ?? rawName;
    if (value === undefined || value === null) {
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

export function readParams(request: FastifyRequest): Params {
  const params: Params = new Map();
  addAll(params, request.query);
  const fromBody: Params = new Map();
  addAll(fromBody, request.body);
  for (const [name, value] of fromBody) {
    params.set(name, value);
  }
  return params;
}

/** A parameter, or undefined when absent or empty. */
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
