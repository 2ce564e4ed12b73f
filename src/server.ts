import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { openStore } from './store/open.js';
import type { Ctx } from './domain/context.js';
import { DEMO_SEED, seedAtStart } from './domain/seed.js';
import { sweepExpired } from './domain/sessions.js';
import { demoBanner } from './banner.js';
import { setDemoStorefrontURL } from './routes/home.js';
import { openLogging } from './logging.js';

const SWEEP_INTERVAL_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2));
  const demo = config.demo === true;
  if (demo && config.production) {
    throw new Error('refusing to run the demo (its keys and password are published) with NODE_ENV=production; start without --demo / SESSIONLINK_DEMO and give --seed FILE');
  }
  const logging = openLogging(config);
  const log = logging.logger;
  const db = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  const ctx: Ctx = { db, secret: config.secret, now: Date.now };
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
  const app = await buildApp({ config, db, logger: logging.fastify });
  await app.listen({ port: config.port, host: config.host });
  if (app.metricsServer !== null) {
    await app.metricsServer.listen({ port: config.metricsPort ?? 0, host: config.metricsHost ?? config.host });
  }
  log.info({ store: config.publicStoreURL, api: config.publicApiURL, database: config.databaseURL === null ? `sqlite:${config.dataDir}` : 'postgres' }, 'sessionlink listening');
  if (demo) {
    process.stdout.write(demoBanner(config, DEMO_SEED));
  }
  let storefront: FastifyInstance | null = null;
  if (demo) {
    // The demo third-party storefront, on a second port (another origin), talking to this server;
    // imported only for the demo, so a production process never loads example code.
    const { startStorefront } = await import('../examples/storefront/server.js');
    const local = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    const demoHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
    try {
      storefront = await startStorefront({
        port: config.demoPort, host: config.host, apiURL: local, storeURL: config.publicStoreURL, siteId: 'acme',
        apiKey: 'acme-public', appKey: 'acme-app', appSecret: 'app-secret-123'
      });
      const address = storefront.server.address();
      const demoPort = typeof address === 'object' && address !== null ? address.port : config.demoPort;
      process.stdout.write(`Demo storefront (a third-party shop on another origin): http://${demoHost}:${demoPort}/\n`);
      setDemoStorefrontURL(app, `http://${demoHost}:${demoPort}/`);
    } catch (err) {
      log.error({ err, port: config.demoPort }, 'demo storefront failed to start; the API keeps running');
    }
  }
  const sweeper = setInterval(() => {
    sweepExpired(ctx).catch((err: unknown) => log.error({ err }, 'sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  let closing = false;
  async function shutdown(signal: string): Promise<void> {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down; finishing requests in flight');
    clearInterval(sweeper);
    await storefront?.close();
    await app.close();
    await db.destroy();
    // Log lines are written in batches: the last ones reach stdout before the process ends.
    await logging.flush();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sessionlink failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
