import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { kyselyOf, openStore, type DB } from '../../src/store/open.js';
import type { Store } from '../../src/store/port.js';
import type { Ctx } from '../../src/domain/context.js';
import { DEMO_SEED, loadSeed, type Seed } from '../../src/domain/seed.js';

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
  /** The store the app runs on. */
  store: Store;
  /** The Kysely handle under it, for test/support/reader.ts and hand-made rows. */
  db: DB;
  ctx: Ctx;
  clock: TestClock;
  /** Closes the app and drops its database (buildTestApp does it when the test ends). */
  close: () => Promise<void>;
}

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Backend = 'sqlite' | 'postgres';

/**
 * The databases the backend matrix runs on: TEST_BACKENDS, comma-separated (default both;
 * `npm run test:fast` sets sqlite). A suite on the matrix runs once per entry:
 * `for (const backend of BACKENDS) describe(`… [${backend}]`, () => { … buildTestApp(t, { backend }) … })`.
 */
export const BACKENDS: readonly Backend[] = backendsOf(process.env.TEST_BACKENDS);

function backendsOf(value: string | undefined): Backend[] {
  const names = (value === undefined || value === '' ? 'sqlite,postgres' : value).split(',').map((name) => name.trim());
  for (const name of names) {
    if (name !== 'sqlite' && name !== 'postgres') throw new Error(`TEST_BACKENDS must list sqlite and/or postgres, got "${value}"`);
  }
  return names as Backend[];
}

/** The Redis the tests that share counters use. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A URL for a message: no password. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** A test's missing service, as one line (no stack) saying how to start it. */
export function serviceDown(message: string): Error {
  const err = new Error(message);
  err.stack = `Error: ${message}`;
  return err;
}

function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

const redisChecked = new Map<string, Promise<void>>();

/** Fails with one line saying how to start Redis when it does not answer PING at `url` (checked once per process). */
export async function requireRedis(url: string = TEST_REDIS_URL): Promise<void> {
  let check = redisChecked.get(url);
  if (check === undefined) {
    check = pingRedis(url).catch((err: unknown) => {
      throw serviceDown(`Redis is not answering at ${shown(url)} (${reasonOf(err)}): start it (redis-server --daemonize yes, or docker run -d -p 6379:6379 redis) or set TEST_REDIS_URL`);
    });
    redisChecked.set(url, check);
  }
  await check;
}

async function pingRedis(url: string): Promise<void> {
  const { connect } = await import('node:net');
  const { hostname, port } = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer within 2 s')); }, 2000);
    let answer = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString('latin1');
      if (!answer.includes('\r\n')) return;
      clearTimeout(timer);
      socket.destroy();
      // -NOAUTH still means a Redis answers; the test then says what its URL lacks.
      if (answer.startsWith('+PONG') || answer.startsWith('-NOAUTH')) resolve();
      else reject(new Error(`unexpected answer ${JSON.stringify(answer.trim().slice(0, 60))}`));
    });
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/**
 * Creates an empty PostgreSQL database sl_test_<random> and returns its URL and a drop function.
 * Fails (never skips) with one line saying how to start PostgreSQL when it does not answer.
 */
export async function createPgDatabase(adminURL: string = PG_ADMIN_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = 'sl_test_' + randomBytes(6).toString('hex');
  const admin = new pg.Client({ connectionString: adminURL, connectionTimeoutMillis: 5000 });
  admin.on('error', () => { /* reported by connect() below */ });
  try {
    await admin.connect();
  } catch (err) {
    throw serviceDown(`PostgreSQL is not answering at ${shown(adminURL)} (${reasonOf(err)}): start it (pg_ctlcluster <version> main start, or docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres) or set TEST_PG_ADMIN_URL`);
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminURL);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminURL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    }
  };
}

export interface TestAppOptions {
  config?: Partial<Config>;
  /** Default: the demo site and OTHER_SITE. */
  seed?: Seed;
  /** Default sqlite (in memory); postgres: a fresh database sl_test_<random>, dropped on close. */
  backend?: Backend;
  /** Start of the test clock, unix ms (default 2026-01-01 12:00 UTC). */
  start?: number;
  /** A clock of the caller's instead (say, Date.now); `clock.advance` then cannot move it. */
  now?: () => number;
  logger?: AppOptions['logger'];
}

/**
 * The one way tests build the app: a fresh database (in-memory SQLite, or a fresh PostgreSQL
 * database), seeded, with a clock the test moves by hand. The caller closes it (`close`, or
 * `app.close()`); buildTestApp closes it when the test ends.
 */
export async function openTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let current = options.start ?? Date.UTC(2026, 0, 1, 12, 0, 0);
  const clock: TestClock = options.now === undefined
    ? { now: () => current, advance: (s) => { current += s * 1000; } }
    : { now: options.now, advance: () => { throw new Error('this test app runs on the caller\'s clock'); } };
  const overrides = { ...options.config };
  let dropDatabase: (() => Promise<void>) | null = null;
  if (overrides.databaseURL === undefined && options.backend === 'postgres') {
    const created = await createPgDatabase();
    dropDatabase = created.drop;
    overrides.databaseURL = created.url;
  }
  // The tests that share counters through Redis say how to start it when it is not answering.
  if (overrides.redisURL === TEST_REDIS_URL) await requireRedis();
  const config = testConfig(overrides);
  const store = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  const db = kyselyOf(store);
  const ctx: Ctx = { store, secret: config.secret, now: clock.now };
  // The demo site without the demo storefront's webhook endpoint: a test that wants events declares its own.
  await loadSeed(ctx, options.seed ?? { sites: [...DEMO_SEED.sites.map(({ webhooks: _storefront, ...site }) => site), OTHER_SITE] });
  const app = await buildApp({ config, store, now: clock.now, logger: options.logger });
  // Closing the app closes its database too (and drops a PostgreSQL one).
  app.addHook('onClose', async () => {
    await store.close();
    if (dropDatabase !== null) await dropDatabase();
  });
  const close = async (): Promise<void> => await app.close();
  return { app, store, db, ctx, clock, close };
}

/** openTestApp, closed when the test `t` ends. */
export async function buildTestApp(t: Pick<TestContext, 'after'>, options: TestAppOptions = {}): Promise<TestApp> {
  const built = await openTestApp(options);
  t.after(built.close);
  return built;
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
