import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { kyselyOf, openStore, type DB } from '../../src/store/open.js';
import { loadSeed, seedAtStart, type Seed, type StartupSeed } from '../../src/domain/seed.js';
import { sweepExpired } from '../../src/domain/sessions.js';
import type { TestApp } from './helpers.js';
import { forgetSeedMarks } from './reader.js';

/**
 * What the server does around the app, for the suites that need it on a database of their own (a
 * DATA_DIR the admin CLI also writes, a restart): open the store, seed it as start-up does, build
 * the app, sweep. Tests reach these through here, never src/store or src/domain, so a change to
 * how the server opens and seeds its store changes this file and not the suites.
 */
export interface StartedApp {
  app: FastifyInstance;
  db: DB;
  /** What start-up seeding did (null when `seeding` was not asked for). */
  seeded: StartupSeed | null;
  /** Closes the app and its database. */
  stop: () => Promise<void>;
}

export interface Seeding {
  demo: boolean;
  production: boolean;
  seedFile: string | null;
}

/**
 * The app on the database `config` names (a new app: no cached sites or keys), after the server's
 * start-up seeding when `seeding` is given. The caller stops it (or passes `t`: stopped when it ends).
 */
export async function startedApp(config: Config, seeding: Seeding | null = null, t?: Pick<TestContext, 'after'>): Promise<StartedApp> {
  const store = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  let seeded: StartupSeed | null = null;
  try {
    if (seeding !== null) seeded = await seedAtStart({ store, secret: config.secret, now: Date.now }, seeding);
  } catch (err) {
    await store.close();
    throw err;
  }
  const app = await buildApp({ config, store });
  const stop = async (): Promise<void> => { await app.close(); await store.close(); };
  t?.after(stop);
  return { app, db: kyselyOf(store), seeded, stop };
}

/**
 * Leaves `seed` loaded in the database `config` names and closes it, as an earlier run would; with
 * `previousVersion`, as the version before the seed log would have (the rows without their marks).
 */
export async function seededDatabase(config: Config, seed: Seed, options: { previousVersion?: boolean } = {}): Promise<void> {
  const store = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  try {
    await loadSeed({ store, secret: config.secret, now: Date.now }, seed);
    if (options.previousVersion === true) await forgetSeedMarks(kyselyOf(store));
  } finally {
    await store.close();
  }
}

/** One run of the server's periodic sweep of expired rows (src/start.ts runs it every few minutes), at the test app's clock. */
export async function sweep(test: Pick<TestApp, 'ctx'>): Promise<void> {
  await sweepExpired(test.ctx);
}
