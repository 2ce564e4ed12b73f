import { execFileSync } from 'node:child_process';

/** Debian's Chromium (installed by .ci/run); browser tests fail rather than skip without it. */
export function chromiumPath(): string {
  const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || true'], { encoding: 'utf8' }).trim();
  if (found === '') {
    throw new Error('Debian chromium is not installed: apt-get install chromium (.ci/run does this)');
  }
  return found;
}

import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { openDatabase, type DB } from '../src/db/open.js';
import { DEMO_SEED, loadSeed, type Seed } from '../src/domain/seed.js';
import { testConfig } from './helpers.js';
import { freePort } from './process/server-process.js';

export { freePort };

/** The app on a real socket (a browser needs one): in-memory SQLite, store and API on one origin. */
export async function listeningApp(seed: Seed = DEMO_SEED): Promise<{ app: FastifyInstance; db: DB; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = testConfig({ port, publicStoreURL: base, publicApiURL: base });
  const db = await openDatabase({ databaseURL: null, dataDir: ':memory:' });
  await loadSeed({ db, secret: config.secret, now: Date.now }, seed);
  const app = await buildApp({ config, db });
  await app.listen({ port, host: '127.0.0.1' });
  return { app, db, base };
}
