import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, stopServer } from './server-process.js';

test('npm start on the demo site runs the storefront on DEMO_PORT and closes it on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-demo-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const demoPort = await freePort();
  const server = await startServer({ DATA_DIR: dataDir, DEMO_PORT: String(demoPort) });
  t.after(async () => { await stopServer(server); });
  const shop = `http://127.0.0.1:${demoPort}`;
  let page: Response | undefined;
  for (let i = 0; i < 50 && page === undefined; i++) {
    page = await fetch(`${shop}/`).catch(() => undefined);
    if (page === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(page?.status, 200);
  assert.match(await page!.text(), /SessionToken\?format=json/);
  assert.match(server.output(), new RegExp(`Demo storefront .*:${demoPort}/`));
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await assert.rejects(fetch(`${shop}/`));
});
