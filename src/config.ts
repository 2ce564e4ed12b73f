import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './config-defaults.js';

export * from './config-defaults.js';

/**
 * Every setting the server reads from its environment. `loadConfig` is the only reader of
 * `process.env`; everything else receives a `Config`.
 */
export interface Config {
  /** TCP port (PORT, default 8080). */
  port: number;
  /** Interface to bind (HOST, default 0.0.0.0). */
  host: string;
  /** Where the SQLite file and the generated secret live (DATA_DIR, default ./data). */
  dataDir: string;
  /** HMAC key for every stored secret hash (SESSIONLINK_SECRET; generated into DATA_DIR when unset). */
  secret: string;
  /** postgres://… selects PostgreSQL instead of the embedded SQLite file (DATABASE_URL). */
  databaseURL: string | null;
  /** redis://… moves shared counters to Redis (REDIS_URL). */
  redisURL: string | null;
  /** Seed file loaded at start (SESSIONLINK_SEED or --seed FILE); each entry is applied once (see domain/seed.ts). */
  seedFile: string | null;
  /** Public origin of the hosted store pages, used in redirects (PUBLIC_STORE_URL). */
  publicStoreURL: string;
  /** Public origin of the API, used in documents (PUBLIC_API_URL). */
  publicApiURL: string;
  /**
   * Which proxies' X-Forwarded-* headers are believed (TRUST_PROXY): false (none, the default),
   * a hop count (the client is that many hops from the socket), or proxy addresses/CIDRs. Never
   * "every hop": then any client could name its own address.
   */
  trustProxy: TrustProxy;
  /** Log line format (LOG_FORMAT): `json`, `pretty`, or null/absent = pretty when stdout is a terminal. */
  logFormat?: 'json' | 'pretty' | null;
  /** Largest request body accepted, in bytes (BODY_LIMIT, default 16 KiB). */
  bodyLimit: number;
  /** Port of the demo storefront (DEMO_PORT, default 8081); started only with the demo (--demo). */
  demoPort: number;
  /** Whether DEMO_PORT was given explicitly (no longer starts the storefront without --demo). */
  demoPortSet: boolean;
  /** Log level for pino (LOG_LEVEL, default info). */
  logLevel: string;
  // The fields below are optional so a hand-built Config (tests) may leave them out; loadConfig
  // always sets them, and a missing one means its default.
  /** Load the demo site and start the demo storefront (--demo or SESSIONLINK_DEMO=1; `npm start` passes --demo). */
  demo?: boolean;
  /** NODE_ENV=production: the demo is refused. */
  production?: boolean;
  /** Serve /metrics on this port instead of the API port (METRICS_PORT); null = on the API port. */
  metricsPort?: number | null;
  /** Interface for METRICS_PORT (METRICS_HOST, default HOST). */
  metricsHost?: string;
  /** When set, /metrics answers only `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken?: string | null;
  /** Seconds between counts of live sessions for /metrics (METRICS_REFRESH_SECONDS, default 15). */
  metricsRefreshSeconds?: number;
  /** Socket and request timeouts, in milliseconds. */
  timeouts?: Timeouts;
  /** Webhook delivery: WEBHOOK_TIMEOUT_SECONDS, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_BASE_DELAY_SECONDS, WEBHOOK_MAX_DELAY_SECONDS, WEBHOOK_POLL_SECONDS. */
  webhooks?: WebhookSettings;
}

export interface Timeouts {
  /** Whole request, headers and body, must arrive within this (REQUEST_TIMEOUT_MS, default 30000); then 408. */
  requestMs: number;
  /** Request headers must arrive within this (HEADERS_TIMEOUT_MS, default 10000; at most requestMs). */
  headersMs: number;
  /** An idle keep-alive connection is closed after this (KEEP_ALIVE_TIMEOUT_MS, default 72000, above common load balancers' 60 s). */
  keepAliveMs: number;
  /** A socket with no traffic in either direction is closed after this (IDLE_TIMEOUT_MS, default 120000). */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = Object.freeze({ requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000, idleMs: 120_000 });

/** Shortest server secret accepted: an HMAC key of fewer than 32 bytes is guessable offline from a database copy. */
export const MIN_SECRET_BYTES = 32;

function checkSecret(secret: string, source: string): string {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    throw new Error(`${source} is ${bytes === 0 ? 'empty' : `only ${bytes} bytes`}; the server secret must be at least ${MIN_SECRET_BYTES} bytes ` +
      '(for example `openssl rand -hex 32`), or leave SESSIONLINK_SECRET unset and delete an empty DATA_DIR/secret to have one generated');
  }
  return secret;
}

/**
 * What Fastify's `trustProxy` gets: false (no proxy), proxy addresses/CIDRs (proxy-addr), or a
 * hop count as a function of the hop's index (Fastify's own numeric option trusts nothing).
 */
export type TrustProxy = false | string[] | ((address: string, hop: number) => boolean);

/** Names proxy-addr (Fastify's trustProxy) accepts for well-known ranges. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: unset, empty, `false`, `0` or `no` → trust no proxy; a positive integer n → the
 * client is the address n hops from the socket (the nth X-Forwarded-For entry from the right,
 * which the client cannot choose; only safe when the server cannot be reached except through
 * those n proxies); `true`/`yes` → 1 (one proxy in front, the usual load balancer); or a
 * comma-separated list of proxy addresses and CIDRs (`10.0.0.0/8, 2001:db8::/32`) and the names
 * `loopback`, `linklocal`, `uniquelocal` → X-Forwarded-For is followed back only through those
 * addresses. Never "every hop": then any client could name its own address.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0' || text === 'no') return false;
  const hops = text === 'true' || text === 'yes' ? 1 : /^\d+$/.test(text) ? Number(text) : null;
  if (hops !== null) {
    if (hops > 100) throw new Error(`TRUST_PROXY hop count must be at most 100, got "${value}"`);
    // hop 0 is the socket's peer, hop 1 the last X-Forwarded-For entry, and so on.
    return (_address: string, hop: number) => hop < hops;
  }
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    if (PROXY_RANGES.has(entry)) continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new Error(`TRUST_PROXY must be false, a hop count, or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal); "${entry}" is none of these`);
    }
  }
  if (entries.length === 0) throw new Error(`TRUST_PROXY has no proxy address in "${value}"`);
  return entries;
}

function readSecret(dataDir: string, given: string | undefined): string {
  if (given !== undefined && given !== '') {
    return checkSecret(given, 'SESSIONLINK_SECRET');
  }
  // Generated once into DATA_DIR so a restart keeps every issued token valid.
  const file = join(dataDir, 'secret');
  if (existsSync(file)) {
    return checkSecret(readFileSync(file, 'utf8').trim(), file);
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

function seedFromArgs(argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--seed' && argv[i + 1] !== undefined) {
      return argv[i + 1] as string;
    }
    if (arg.startsWith('--seed=')) {
      return arg.slice('--seed='.length);
    }
  }
  return null;
}

function flagOf(argv: string[], name: string, value: string | undefined): boolean {
  return argv.includes(`--${name}`) || value === '1' || value === 'true';
}

function portOf(value: string | undefined, name: string): number | null {
  if (value === undefined || value === '') return null;
  const n = intOf(value, 0, name);
  if (n > 65535) throw new Error(`${name} must be a TCP port, got "${value}"`);
  return n;
}

function timeoutsOf(env: NodeJS.ProcessEnv): Timeouts {
  const positive = (name: string, fallback: number): number => {
    const n = intOf(env[name], fallback, name);
    if (n === 0) throw new Error(`${name} must be a positive number of milliseconds`);
    return n;
  };
  const requestMs = positive('REQUEST_TIMEOUT_MS', DEFAULT_TIMEOUTS.requestMs);
  return {
    requestMs,
    headersMs: Math.min(requestMs, positive('HEADERS_TIMEOUT_MS', DEFAULT_TIMEOUTS.headersMs)),
    keepAliveMs: positive('KEEP_ALIVE_TIMEOUT_MS', DEFAULT_TIMEOUTS.keepAliveMs),
    idleMs: positive('IDLE_TIMEOUT_MS', DEFAULT_TIMEOUTS.idleMs)
  };
}

function webhookSettingsOf(env: NodeJS.ProcessEnv): WebhookSettings {
  const d = DEFAULT_WEBHOOK_SETTINGS;
  const positive = (name: string, fallback: number): number => {
    const n = intOf(env[name], fallback, name);
    if (n === 0) throw new Error(`${name} must be a positive whole number`);
    return n;
  };
  return {
    timeoutSeconds: positive('WEBHOOK_TIMEOUT_SECONDS', d.timeoutSeconds),
    maxAttempts: positive('WEBHOOK_MAX_ATTEMPTS', d.maxAttempts),
    baseDelaySeconds: positive('WEBHOOK_BASE_DELAY_SECONDS', d.baseDelaySeconds),
    maxDelaySeconds: positive('WEBHOOK_MAX_DELAY_SECONDS', d.maxDelaySeconds),
    pollSeconds: positive('WEBHOOK_POLL_SECONDS', d.pollSeconds)
  };
}

function intOf(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  }
  return n;
}

function originOf(value: string, name: string): string {
  try {
    const url = new URL(value);
    return url.origin;
  } catch {
    throw new Error(`${name} must be an absolute URL such as https://store.example.com, got "${value}"`);
  }
}

function logFormatOf(value: string | undefined): 'json' | 'pretty' | null {
  if (value === undefined || value === '') return null;
  const format = value.toLowerCase();
  if (format === 'json' || format === 'pretty') return format;
  throw new Error(`LOG_FORMAT must be json or pretty (or unset: pretty on a terminal, JSON otherwise), got "${value}"`);
}

/** Where the SQLite file and the generated secret live (DATA_DIR, default ./data), absolute. */
export function dataDirOf(env: NodeJS.ProcessEnv): string {
  return resolve(env.DATA_DIR || './data');
}

export function loadConfig(env: NodeJS.ProcessEnv, argv: string[] = []): Config {
  const port = intOf(env.PORT, 8080, 'PORT');
  const host = env.HOST || '0.0.0.0';
  const dataDir = dataDirOf(env);
  const databaseURL = env.DATABASE_URL || null;
  const local = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  const demoPortSet = env.DEMO_PORT !== undefined && env.DEMO_PORT !== '';
  return Object.freeze({
    port,
    host,
    dataDir,
    secret: readSecret(dataDir, env.SESSIONLINK_SECRET),
    databaseURL,
    redisURL: env.REDIS_URL || null,
    seedFile: seedFromArgs(argv) ?? (env.SESSIONLINK_SEED || null),
    publicStoreURL: originOf(env.PUBLIC_STORE_URL || local, 'PUBLIC_STORE_URL'),
    publicApiURL: originOf(env.PUBLIC_API_URL || local, 'PUBLIC_API_URL'),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logFormat: logFormatOf(env.LOG_FORMAT),
    bodyLimit: intOf(env.BODY_LIMIT, 16 * 1024, 'BODY_LIMIT'),
    demoPort: intOf(env.DEMO_PORT, 8081, 'DEMO_PORT'),
    demoPortSet,
    logLevel: env.LOG_LEVEL || 'info',
    demo: flagOf(argv, 'demo', env.SESSIONLINK_DEMO),
    production: env.NODE_ENV === 'production',
    metricsPort: portOf(env.METRICS_PORT, 'METRICS_PORT'),
    metricsHost: env.METRICS_HOST || host,
    metricsToken: env.METRICS_TOKEN || null,
    metricsRefreshSeconds: intOf(env.METRICS_REFRESH_SECONDS, 15, 'METRICS_REFRESH_SECONDS'),
    timeouts: timeoutsOf(env),
    webhooks: webhookSettingsOf(env)
  });
}
