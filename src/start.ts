import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { SWEEP_INTERVAL_MS, type Config } from './config.js';
import { openStore } from './store/open.js';
import type { Ctx } from './domain/context.js';
import { DEMO_SEED, seedAtStart } from './domain/seed.js';
import { sweepExpired } from './domain/sessions.js';
import { demoBanner } from './banner.js';
import { openLogging } from './logging.js';
import type { Logger } from 'pino';
import { DEFAULT_WEBHOOK_SETTINGS } from './config-defaults.js';
import { Dispatcher } from './webhooks/dispatcher.js';

/** A running server: its app and logger, and a hook to close something of the caller's first on shutdown. */
export interface RunningServer {
  app: FastifyInstance;
  log: Logger;
  /** Runs `close` on SIGTERM/SIGINT before the app closes (the demo storefront, say). */
  beforeClose(close: () => Promise<void>): void;
}

/**
 * Opens the store, seeds it, listens, sweeps expired rows, and closes everything on SIGTERM or
 * SIGINT. The entry points are src/server.ts (the server alone) and examples/demo.ts (`npm start`:
 * the server with the demo site, and the demo storefront beside it).
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const demo = config.demo === true;
  if (demo && config.production) {
    throw new Error('refusing to run the demo (its keys and password are published) with NODE_ENV=production; start without --demo / SESSIONLINK_DEMO and give --seed FILE');
  }
  const logging = openLogging(config);
  const log = logging.logger;
  const store = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  const ctx: Ctx = { store, secret: config.secret, now: Date.now };
  const seeded = await seedAtStart(ctx, { demo, production: config.production === true, seedFile: config.seedFile });
  if (seeded.removedDemoSites.length > 0) {
    log.warn({ sites: seeded.removedDemoSites }, 'removed the demo site an earlier demo run left in this database (the demo runs only with --demo)');
  }
  if (!demo && config.seedFile === null) {
    log.info({ sites: seeded.sites }, seeded.sites === 0
      ? 'no seed file and no --demo: starting with no sites (give --seed FILE, or create one with `sessionlink sites create`)'
      : 'no seed file and no --demo: serving the sites already in the database');
  }
  if (config.production && config.metricsToken === null && config.metricsPort === null) {
    log.warn('/metrics is open on the API port; set METRICS_TOKEN or METRICS_PORT to keep it from the public');
  }
  const app = await buildApp({ config, store, logger: logging.fastify });
  await app.listen({ port: config.port, host: config.host });
  if (app.metricsServer !== null) {
    await app.metricsServer.listen({ port: config.metricsPort ?? 0, host: config.metricsHost ?? config.host });
  }
  log.info({ store: config.publicStoreURL, api: config.publicApiURL, database: config.databaseURL === null ? `sqlite:${config.dataDir}` : 'postgres' }, 'sessionlink listening');
  if (demo) {
    process.stdout.write(demoBanner(config, DEMO_SEED));
  }
  const closeFirst: Array<() => Promise<void>> = [];
  const sweeper = setInterval(() => {
    sweepExpired(ctx).catch((err: unknown) => log.error({ err }, 'sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  // Webhook deliveries: in the background, never on a request's path.
  const dispatcher = new Dispatcher(ctx, config.webhooks ?? DEFAULT_WEBHOOK_SETTINGS, { log });
  dispatcher.start();
  let closing = false;
  async function shutdown(signal: string): Promise<void> {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down; finishing requests in flight');
    clearInterval(sweeper);
    for (const close of closeFirst) await close();
    await app.close();
    await dispatcher.stop();
    await store.close();
    // Log lines are written in batches: the last ones reach stdout before the process ends.
    await logging.flush();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return { app, log, beforeClose: (close) => { closeFirst.push(close); } };
}
