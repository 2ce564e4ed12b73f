import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SEED } from '../support/seed.js';
import { freePort, startServer, stopServer } from './server-process.js';

test('npm start explains itself: the banner lists the demo\'s URLs, keys, shopper and products; / links the running demo storefront', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-first-run-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const demoPort = await freePort();
  const server = await startServer({ DATA_DIR: dataDir, DEMO_PORT: String(demoPort) });
  t.after(async () => { await stopServer(server); });
  let demoLine: RegExpMatchArray | null = null;
  for (let i = 0; i < 100 && demoLine === null; i++) {
    demoLine = server.output().match(/Demo storefront .*: (http:\S+)/);
    if (demoLine === null) await new Promise((r) => setTimeout(r, 100));
  }
  const banner = server.output();
  const port = new URL(server.url).port;
  for (const url of [`:${port}/ `, `:${port}/docs `, `:${port}/healthz `]) {
    assert.ok(banner.includes(url), `banner names ${url}: ${banner}`);
  }
  const site = DEMO_SEED.sites[0]!;
  for (const key of site.apiKeys!) assert.ok(banner.includes(key.key), key.key);
  assert.ok(banner.includes('app-secret-123'));
  assert.ok(banner.includes('jane / Correct-Horse-9'));
  for (const product of site.products!) {
    assert.match(banner, new RegExp(`${product.id}\\s+${product.name}\\s+${product.price.replace('.', '\\.')} USD`));
  }
  assert.ok(demoLine !== null, banner);
  const home = await (await fetch(`${server.url}/`)).text();
  assert.ok(home.includes(`<a href="${demoLine[1]}">The demo storefront</a>`), home);
  // The icon answers on both origins.
  assert.equal((await fetch(`${server.url}/favicon.ico`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${demoPort}/favicon.ico`)).status, 200);
});
