import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { openTestApp, type TestApp } from '../support/helpers.js';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { freePort } from '../process/server-process.js';

/**
 * The browser of the browser tests. By default the Chromium that the npm package
 * `@sparticuz/chromium` ships inside it (a devDependency, so `npm ci` brings it and no system
 * browser is needed or looked for), unpacked once into `node_modules/.cache/`. Set
 * `TEST_CHROMIUM` to an executable's path (or to `system` for the `chromium` on PATH) to use
 * another one instead.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as { version: string }).version;

/** The flags @sparticuz/chromium recommends, less those that would switch off what the tests check (CORS, mixed content, site isolation). */
const WEAKENING = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--single-process']);

/** Where the packaged Chromium is unpacked (its libraries beside it, as it expects). */
export const PACKAGED_CHROMIUM_DIR = join(ROOT, 'node_modules', '.cache', `sparticuz-chromium-${VERSION}`);

let unpacking: Promise<string> | null = null;

/**
 * Unpacks the packaged Chromium once. The package unpacks into `os.tmpdir()`, so TMPDIR points
 * at a private staging folder for the synchronous start of that call; the folder is then renamed
 * into place, so test files that start together never launch a half-written binary.
 */
async function packagedChromium(): Promise<string> {
  const executable = join(PACKAGED_CHROMIUM_DIR, 'chromium');
  if (existsSync(executable)) return executable;
  const staging = `${PACKAGED_CHROMIUM_DIR}.tmp-${process.pid}`;
  removeAbandonedStaging();
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  let pending: Promise<string>;
  try {
    pending = sparticuz.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  const unpacked = await pending;
  if (unpacked !== join(staging, 'chromium')) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, not into ${staging}`);
  }
  try {
    renameSync(staging, PACKAGED_CHROMIUM_DIR);
  } catch (err) {
    // Another test file won the race: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(executable)) throw err;
  }
  return executable;
}

/** Staging folders of test processes that died while unpacking (each holds ~200 MB). */
function removeAbandonedStaging(): void {
  const parent = dirname(PACKAGED_CHROMIUM_DIR);
  const prefix = `${basename(PACKAGED_CHROMIUM_DIR)}.tmp-`;
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

function systemChromium(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  throw new Error('TEST_CHROMIUM=system but no chromium is on PATH');
}

/** The Chromium executable the browser tests launch. */
export async function chromiumPath(): Promise<string> {
  const chosen = process.env.TEST_CHROMIUM;
  if (chosen === 'system') return systemChromium();
  if (chosen !== undefined && chosen !== '') return chosen;
  unpacking ??= packagedChromium();
  return await unpacking;
}

/** Headless Chromium for a test; close it in the test's `after`. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await chromiumPath();
  const packaged = executablePath.startsWith(PACKAGED_CHROMIUM_DIR);
  const args = packaged
    ? sparticuz.args.filter((arg) => !WEAKENING.has(arg))
    : ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];
  const options: LaunchOptions = { executablePath, args, headless: true };
  return await chromium.launch(options);
}


export { freePort };

type DB = TestApp['db'];

/**
 * The app on a real socket (a browser needs one) and the real clock: in-memory SQLite, store and
 * API on one origin. `app.close()` closes its database too.
 */
export async function listeningApp(seed: Seed = DEMO_SEED): Promise<{ app: FastifyInstance; db: DB; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { app, db } = await openTestApp({ config: { port, publicStoreURL: base, publicApiURL: base }, seed, now: Date.now });
  await app.listen({ port, host: '127.0.0.1' });
  return { app, db, base };
}

/**
 * The app and the demo storefront on two real sockets (two origins), as `npm start` runs them;
 * `close()` stops both and the database.
 */
export async function listeningDemo(): Promise<{ app: FastifyInstance; db: DB; apiBase: string; storefront: FastifyInstance; shopBase: string; close: () => Promise<void> }> {
  const { app, db, base: apiBase } = await listeningApp();
  const { startStorefront } = await import('../../examples/storefront/server.js');
  const storefront = await startStorefront({
    port: 0, host: '127.0.0.1', apiURL: apiBase, storeURL: apiBase, siteId: 'acme',
    apiKey: 'acme-public', appKey: 'acme-app', appSecret: 'app-secret-123'
  });
  const address = storefront.server.address();
  const shopBase = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const close = async (): Promise<void> => {
    await storefront.close();
    await app.close();
    await db.destroy();
  };
  return { app, db, apiBase, storefront, shopBase, close };
}
