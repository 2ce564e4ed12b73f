import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopServer } from './server-process.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const DEMO_URL = 'http://localhost:8080';

/** The ```sh blocks between <!-- guide:start --> and <!-- guide:end -->. */
function guideBlocks(markdown: string): string[] {
  const start = markdown.indexOf('<!-- guide:start -->');
  const end = markdown.indexOf('<!-- guide:end -->');
  assert.ok(start >= 0 && end > start, 'README.md marks the guide with <!-- guide:start --> … <!-- guide:end -->');
  return [...markdown.slice(start, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

test('README starts with the two commands', () => {
  assert.match(README, /^# Sessionlink\n\n```sh\nnpm ci && npm start .*\nnpm ci && npm test .*\n```\n/);
});

test('the "Moving a shopper to hosted checkout" guide, pasted into bash, ends on the hosted cart with the product', async (t) => {
  const blocks = guideBlocks(README);
  assert.ok(blocks.length >= 1, 'the guide has a sh block');
  const script = blocks.join('\n');
  assert.ok(script.includes(DEMO_URL), 'the guide talks to npm start\'s server');
  assert.doesNotMatch(script, /\bjq\b/, 'no jq: it may not be installed');

  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-guide-data-'));
  const cwd = mkdtempSync(join(tmpdir(), 'sessionlink-guide-cwd-'));
  t.after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });
  // npm start's entry point with the demo site, on a free port of 127.0.0.1 (its public URL there).
  const server = await startServer({ DATA_DIR: dataDir });
  t.after(async () => await stopServer(server));
  const base = server.url;
  const rewritten = script.split(DEMO_URL).join(base);

  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', rewritten], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
  assert.equal(result.code, 0, `the guide failed:\n${result.stdout}\n${result.stderr}\n${server.output()}`);
  const out = result.stdout;
  assert.match(out, /^session token: [0-9A-F]{32}$/m);
  assert.match(out, /^limited token: [0-9a-f]{16}…$/m);
  assert.match(out, /^"totalItemsInCart":2$/m);
  const infos = out.split('\n').filter((line) => line.startsWith('{"sessionId"')).map((line) => JSON.parse(line) as { sessionId: string; authenticated: string; cartId: string });
  assert.equal(infos.length, 2, 'token info of step 5 and step 8');
  assert.equal(infos[0]?.authenticated, 'true', 'step 5: jane is logged in');
  assert.equal(infos[1]?.sessionId, infos[0]?.sessionId, 'step 8: the browser\'s cookie names the checkout session');
  assert.equal(infos[1]?.cartId, infos[0]?.cartId);
  const handoff = new RegExp(`^handoff: ${base}/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage\\?handoff=[0-9a-f]{64}$`, 'm');
  assert.match(out, handoff);
  assert.match(out, /^in the cart: 2 × Widget$/m);

  // The page the guide saved is the hosted cart with that line, not just the catalogue below it.
  const page = readFileSync(join(cwd, 'cart.html'), 'utf8');
  assert.match(page, /<h1>Your cart<\/h1>/);
  assert.match(page, /<td>Widget <span class="muted">#1001<\/span><\/td>/);
  assert.match(page, /<label class="sr-only" for="q-[^"]+">Quantity of Widget<\/label><input [^>]*value="2"/);
  assert.doesNotMatch(page, /role="status"/, 'no notice of a spent or unknown handoff code');
});
