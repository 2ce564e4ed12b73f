import type { FastifyInstance } from 'fastify';
import { startStorefront } from '../examples/storefront/server.js';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/open.js';
import type { Ctx } from './domain/context.js';
import { DEMO_SEED, loadSeed, readSeedFile } from './domain/seed.js';
import { sweepExpired } from './domain/sessions.js';
import { openLogging } from './logging.js';

const SWEEP_INTERVAL_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2));
  const logging = openLogging(config);
  const log = logging.logger;
  const db = await openDatabase({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  const ctx: Ctx = { db, secret: config.secret, now: Date.now };
  const seed = config.seedFile === null ? DEMO_SEED : readSeedFile(config.seedFile);
  await loadSeed(ctx, seed);
  const app = await buildApp({ config, db, logger: logging.fastify });
  await app.listen({ port: config.port, host: config.host });
  log.info({ store: config.publicStoreURL, api: config.publicApiURL, database: config.databaseURL === null ? `sqlite:${config.dataDir}` : 'postgres' }, 'sessionlink listening');
  if (config.seedFile === null) {
    process.stdout.write([
      '',
      `Sessionlink is listening on http://localhost:${config.port} with the demo site "acme".`,
      '  public key:        acme-public',
      '  confidential key:  acme-app  (secret app-secret-123)',
      '  shopper:           jane / Correct-Horse-9',
      `  try: curl '${config.publicStoreURL}/store/acme/SessionToken?format=json'`,
      ''
    ].join('\n') + '\n');
  }
  let storefront: FastifyInstance | null = null;
  if (config.seedFile === null || config.demoPortSet) {
    // The demo third-party storefront, on a second port (another origin), talking to this server.
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
