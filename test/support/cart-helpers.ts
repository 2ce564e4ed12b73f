import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.js';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { openTestApp, type Backend } from './helpers.js';

export const STORE = 'http://store.test';
export const API = 'http://api.test';

/** A second site, so a token of one site can be tried against another. */
export const SEED: Seed = {
  sites: [
    ...DEMO_SEED.sites,
    {
      ...(DEMO_SEED.sites[0] as Seed['sites'][number]),
      id: 'beta', name: 'Beta Shop',
      apiKeys: [{ key: 'beta-public', type: 'public' }],
      shoppers: [],
      products: [{ id: '2001', name: 'Beta Thing', price: '5.00' }]
    }
  ]
};

export type TestApp = import('./helpers.js').TestApp;

/** openTestApp with the cart suites' seed and clock (the caller closes it). */
export async function makeApp(overrides: Partial<Config> = {}, backend: Backend = 'sqlite'): Promise<TestApp> {
  const app = await openTestApp({ config: { secret: 'test-secret-0123456789abcdef', ...overrides }, seed: SEED, backend, start: Date.UTC(2026, 0, 1) });
  await app.app.ready();
  return app;
}

const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');

export async function anonymousToken(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' });
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}

export async function fullToken(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=jane&password=Correct-Horse-9' });
  if (res.statusCode !== 200) throw new Error(`password token: ${res.statusCode} ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}

/** Exchanges a browser's session token for an access token on the same session. */
export async function exchangeSessionToken(app: FastifyInstance, sessionToken: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=password&dr_session_token=${sessionToken}` });
  if (res.statusCode !== 200) throw new Error(`exchange: ${res.statusCode} ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, accept: 'application/json' };
}
