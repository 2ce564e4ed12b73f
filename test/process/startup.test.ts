// How the real server process starts: the demo only when asked for and never in production, no
// site at all without a seed or the demo, and no short server secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, startServer, stopServer } from './server-process.js';

/** Runs the server entry point and waits for it to exit by itself (a refusal). */
async function refused(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(await freePort()), DEMO_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('NODE_ENV=production refuses the demo, by flag or by SESSIONLINK_DEMO, with a clear message', async (t) => {
  const dataDir = tempDir(t, 'sl-prod-demo-');
  for (const [env, args] of [[{ NODE_ENV: 'production' }, ['--demo']], [{ NODE_ENV: 'production', SESSIONLINK_DEMO: '1' }, []]] as const) {
    const result = await refused({ DATA_DIR: dataDir, ...env }, [...args]);
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /refusing to run the demo .*NODE_ENV=production/);
  }
});

test('without a seed file and without --demo the server starts with no sites, says so once, and runs no storefront', async (t) => {
  const dataDir = tempDir(t, 'sl-no-sites-');
  const demoPort = await freePort();
  const server = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'production', DEMO_PORT: String(demoPort) }, []);
  t.after(async () => await stopServer(server));
  const site = await fetch(`${server.url}/store/acme/SessionToken?format=json`);
  assert.equal(site.status, 404);
  const login = await fetch(`${server.url}/oauth20/token`, {
    method: 'POST', headers: { authorization: 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64') }, body: new URLSearchParams({ grant_type: 'password' })
  });
  assert.equal(login.status, 401, 'the published demo credentials do not exist');
  await assert.rejects(fetch(`http://127.0.0.1:${demoPort}/`), 'no demo storefront');
  // Log lines are written in batches (at most a second late): wait for the start-up line.
  const noSites = (): string[] => server.output().split('\n').filter((l) => l.includes('starting with no sites'));
  for (let i = 0; i < 50 && noSites().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(noSites().length, 1, server.output());
  assert.ok(!server.output().includes('app-secret-123'), 'no demo banner');
});

test('npm start runs the demo exactly as the README says: site "acme" and the storefront', async (t) => {
  const dataDir = tempDir(t, 'sl-npm-start-');
  const [port, demoPort] = [await freePort(), await freePort()];
  const child = spawn('npm', ['start'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DEMO_PORT: String(demoPort), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'], detached: true
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } });
  let site: Response | undefined;
  for (let i = 0; i < 600 && site === undefined; i++) {
    site = await fetch(`http://127.0.0.1:${port}/store/acme/SessionToken?format=json`).catch(() => undefined);
    if (site === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(site?.status, 200, output);
  let shop: Response | undefined;
  for (let i = 0; i < 50 && shop === undefined; i++) {
    shop = await fetch(`http://127.0.0.1:${demoPort}/`).catch(() => undefined);
    if (shop === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(shop?.status, 200, output);
});

test('a server secret shorter than 32 bytes is refused: SESSIONLINK_SECRET, or an empty DATA_DIR/secret', async (t) => {
  const dataDir = tempDir(t, 'sl-short-secret-');
  const short = await refused({ DATA_DIR: dataDir, SESSIONLINK_SECRET: 'abc' }, ['--demo']);
  assert.equal(short.code, 1, short.output);
  assert.match(short.output, /SESSIONLINK_SECRET is only 3 bytes; the server secret must be at least 32 bytes/);
  assert.ok(!short.output.includes('abc\n') && !/secret[^\n]*"abc"/.test(short.output), 'the secret itself is not printed');
  writeFileSync(join(dataDir, 'secret'), '\n');
  const empty = await refused({ DATA_DIR: dataDir }, ['--demo']);
  assert.equal(empty.code, 1, empty.output);
  assert.match(empty.output, /secret is empty; the server secret must be at least 32 bytes/);
  // A 32-byte secret is fine, and none at all is generated (64 hex characters).
  const fine = await startServer({ DATA_DIR: join(dataDir, 'fresh'), SESSIONLINK_SECRET: 's'.repeat(32) }, []);
  await stopServer(fine);
  const generated = await startServer({ DATA_DIR: join(dataDir, 'generated') }, []);
  await stopServer(generated);
});
