import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { openDatabase, type DB } from '../src/db/open.js';
import type { Ctx } from '../src/domain/context.js';
import { DEMO_SEED, loadSeed, type Seed } from '../src/domain/seed.js';

export const PUBLIC_KEY = 'acme-public';
export const APP_KEY = 'acme-app';
export const APP_SECRET = 'app-secret-123';
export const BASIC = 'Basic ' + Buffer.from(`${APP_KEY}:${APP_SECRET}`).toString('base64');

/** A clock the test moves by hand. */
export interface TestClock {
  now: () => number;
  advance: (seconds: number) => void;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: ':memory:',
    secret: 'test-secret-' + 'x'.repeat(20),
    databaseURL: null,
    redisURL: null,
    seedFile: null,
    publicStoreURL: 'http://store.test',
    publicApiURL: 'http://api.test',
    trustProxy: false,
    bodyLimit: 16 * 1024,
    demoPort: 0,
    demoPortSet: false,
    logLevel: 'silent',
    ...overrides
  };
}

/** A second site, so cross-site misuse can be tested. */
export const OTHER_SITE: Seed['sites'][number] = {
  id: 'other', name: 'Other Store', locale: 'de_DE', currency: 'EUR',
  session: { ttlSeconds: 3600, idleSeconds: 600 },
  allowedOrigins: ['https://shop.other.example'],
  sessionTokenExchange: 'confidential',
  apiKeys: [
    { key: 'other-public', type: 'public' },
    { key: 'other-app', type: 'confidential', secret: 'other-secret-456' }
  ],
  products: [{ id: '2001', name: 'Sprocket', price: '5.00' }]
};

export interface TestApp {
  app: FastifyInstance;
  db: DB;
  ctx: Ctx;
  clock: TestClock;
}

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Which database buildTestApp uses when the caller does not pass a databaseURL. */
let defaultBackend: 'sqlite' | 'postgres' = 'sqlite';
export function useBackend(backend: 'sqlite' | 'postgres'): void {
  defaultBackend = backend;
}
export function currentBackend(): 'sqlite' | 'postgres' {
  return defaultBackend;
}

/**
 * Creates an empty PostgreSQL database sl_test_<random> and returns its URL and a drop function.
 * Throws (never skips) when PostgreSQL is unreachable.
 */
export async function createPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = 'sl_test_' + randomBytes(6).toString('hex');
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    }
  };
}

/**
 * Builds the app with the demo site and OTHER_SITE on a fresh database: in-memory SQLite, or,
 * after useBackend('postgres'), a fresh PostgreSQL database dropped when the test ends.
 */
export async function buildTestApp(t: TestContext, options: { config?: Partial<Config>; seed?: Seed } = {}): Promise<TestApp> {
  let current = Date.UTC(2026, 0, 1, 12, 0, 0);
  const clock: TestClock = { now: () => current, advance: (s) => { current += s * 1000; } };
  const overrides = { ...options.config };
  let dropDatabase: (() => Promise<void>) | null = null;
  if (overrides.databaseURL === undefined && defaultBackend === 'postgres') {
    const created = await createPgDatabase();
    dropDatabase = created.drop;
    overrides.databaseURL = created.url;
  }
  const config = testConfig(overrides);
  const db = await openDatabase({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  const ctx: Ctx = { db, secret: config.secret, now: clock.now };
  await loadSeed(ctx, options.seed ?? { sites: [...DEMO_SEED.sites, OTHER_SITE] });
  const app = await buildApp({ config, db, now: clock.now });
  t.after(async () => {
    await app.close();
    await db.destroy();
    if (dropDatabase !== null) await dropDatabase();
  });
  return { app, db, ctx, clock };
}

export function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

/** POST /oauth20/token with a form body. */
export async function tokenRequest(app: FastifyInstance, values: Record<string, string>, options: { authorization?: string; url?: string } = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  return await app.inject({ method: 'POST', url: options.url ?? '/oauth20/token', headers, payload: form(values) });
}

/** The site action from a "browser": returns the session token and the cookie it set. */
export async function browserSessionToken(app: FastifyInstance, cookie?: string): Promise<{ sessionToken: string; cookie: string }> {
  const res = await app.inject({
    method: 'GET',
    url: '/store/acme/SessionToken?format=json',
    headers: cookie === undefined ? {} : { cookie: `SLSESSION=${cookie}` }
  });
  if (res.statusCode !== 200) throw new Error(`SessionToken answered ${res.statusCode}: ${res.body}`);
  const set = res.cookies.find((c) => c.name === 'SLSESSION');
  return { sessionToken: (res.json() as { session_token: string }).session_token, cookie: set?.value ?? cookie ?? '' };
}

export async function tokenInfo(app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${accessToken}` } });
}
