import pino from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/open.js';
import type { Ctx } from './domain/context.js';
import { DEMO_SEED, loadSeed, readSeedFile } from './domain/seed.js';
import { sweepExpired } from './domain/sessions.js';
import { LOG_REDACT, LOG_SERIALIZERS } from './http/redact.js';

const SWEEP_INTERVAL_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2));
  const log = pino({ level: config.logLevel });
  const db = await openDatabase({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  const ctx: Ctx = { db, secret: config.secret, now: Date.now };
  const seed = config.seedFile === null ? DEMO_SEED : readSeedFile(config.seedFile);
  await loadSeed(ctx, seed);
  const app = await buildApp({ config, db, logger: { level: config.logLevel, serializers: LOG_SERIALIZERS, redact: LOG_REDACT } });
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
    await app.close();
    await db.destroy();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sessionlink failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
