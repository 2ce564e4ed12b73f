/**
 * `npm start`: the Sessionlink server with the demo site (`--demo`), and the demo storefront
 * (examples/storefront/) beside it on DEMO_PORT, another origin talking to the server over HTTP.
 * The server's own entry point (src/server.ts) never loads example code.
 */
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.js';
import { DEMO_SEED } from '../src/domain/seed.js';
import { setDemoStorefrontURL } from '../src/ops/home.js';
import { startServer } from '../src/start.js';
import { startStorefront } from './storefront/server.js';

/** A host to print or dial: a wildcard bind becomes `fallback`, an IPv6 literal gets brackets. */
function hostFor(host: string, fallback: string): string {
  if (host === '0.0.0.0' || host === '::') return fallback;
  return host.includes(':') ? `[${host}]` : host;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = loadConfig(process.env, argv.includes('--demo') ? argv : ['--demo', ...argv]);
  const server = await startServer(config);
  if (config.demo !== true) return;
  const local = `http://${hostFor(config.host, '127.0.0.1')}:${config.port}`;
  const demoHost = hostFor(config.host, 'localhost');
  // The demo site sends the shopper back to the storefront (`returnUrl`) and its events to the
  // storefront's /webhooks, both on the default DEMO_PORT; on another port the storefront still
  // runs, without the way back.
  const site = DEMO_SEED.sites[0];
  const returnURL = site?.returnUrl ?? undefined;
  let storefront: FastifyInstance;
  try {
    storefront = await startStorefront({
      port: config.demoPort, host: config.host, apiURL: local, storeURL: config.publicStoreURL, siteId: 'acme',
      apiKey: 'acme-public', appKey: 'acme-app', appSecret: 'app-secret-123',
      returnURL: returnURL !== undefined && new URL(returnURL).port === String(config.demoPort) ? returnURL : undefined,
      webhookSecret: site?.webhooks?.[0]?.secret
    });
  } catch (err) {
    server.log.error({ err, port: config.demoPort }, 'demo storefront failed to start; the API keeps running');
    return;
  }
  server.beforeClose(async () => await storefront.close());
  const address = storefront.server.address();
  const demoPort = typeof address === 'object' && address !== null ? address.port : config.demoPort;
  process.stdout.write(`Demo storefront (a third-party shop on another origin): http://${demoHost}:${demoPort}/\n`);
  setDemoStorefrontURL(server.app, `http://${demoHost}:${demoPort}/`);
}

main().catch((err: unknown) => {
  process.stderr.write(`sessionlink failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
