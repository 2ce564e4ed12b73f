import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

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
  /** Seed file loaded idempotently at start (SESSIONLINK_SEED or --seed FILE); null = demo site. */
  seedFile: string | null;
  /** Public origin of the hosted store pages, used in redirects (PUBLIC_STORE_URL). */
  publicStoreURL: string;
  /** Public origin of the API, used in documents (PUBLIC_API_URL). */
  publicApiURL: string;
  /** Honour X-Forwarded-* headers (TRUST_PROXY=1). */
  trustProxy: boolean;
  /** Log line format (LOG_FORMAT): `json`, `pretty`, or null/absent = pretty when stdout is a terminal. */
  logFormat?: 'json' | 'pretty' | null;
  /** Largest request body accepted, in bytes (BODY_LIMIT, default 16 KiB). */
  bodyLimit: number;
  /** Port of the demo storefront (DEMO_PORT, default 8081); started only on the demo site. */
  demoPort: number;
  /** Whether DEMO_PORT was given explicitly. */
  demoPortSet: boolean;
  /** Log level for pino (LOG_LEVEL, default info). */
  logLevel: string;
}

function readSecret(dataDir: string, given: string | undefined): string {
  if (given !== undefined && given !== '') {
    return given;
  }
  // Generated once into DATA_DIR so a restart keeps every issued token valid.
  const file = join(dataDir, 'secret');
  if (existsSync(file)) {
    return readFileSync(file, 'utf8').trim();
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
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
    logFormat: logFormatOf(env.LOG_FORMAT),
    bodyLimit: intOf(env.BODY_LIMIT, 16 * 1024, 'BODY_LIMIT'),
    demoPort: intOf(env.DEMO_PORT, 8081, 'DEMO_PORT'),
    demoPortSet,
    logLevel: env.LOG_LEVEL || 'info'
  });
}
