import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { openStore, type DB } from '../src/store/open.js';
import { DEMO_SEED, loadSeed, type Seed } from '../src/domain/seed.js';
import { createPgDatabase, currentBackend } from './helpers.js';

export const STORE = 'http://store.test';
export const API = 'http://api.test';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0, host: '127.0.0.1', dataDir: ':memory:', secret: 'test-secret-0123456789abcdef', databaseURL: null, redisURL: null,
    seedFile: null, publicStoreURL: STORE, publicApiURL: API, trustProxy: false, bodyLimit: 16384, demoPort: 0, demoPortSet: false,
    logLevel: 'silent', ...overrides
  };
}

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

export interface TestApp {
  app: FastifyInstance;
  db: DB;
  clock: { now: number };
  close: () => Promise<void>;
}

export async function makeApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const clock = { now: Date.UTC(2026, 0, 1) };
  // After useBackend('postgres') (test/postgres.test.ts) each app gets a fresh PostgreSQL database.
  const created = currentBackend() === 'postgres' && overrides.databaseURL === undefined ? await createPgDatabase() : null;
  const db = await openStore({ databaseURL: created?.url ?? config.databaseURL, dataDir: ':memory:' });
  await loadSeed({ db, secret: config.secret, now: () => clock.now }, SEED);
  const app = await buildApp({ config, db, now: () => clock.now });
  await app.ready();
  return { app, db, clock, close: async () => { await app.close(); await db.destroy(); await created?.drop(); } };
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
