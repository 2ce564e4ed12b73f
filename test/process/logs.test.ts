import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_BUFFER_BYTES, LOG_FLUSH_INTERVAL_MS } from '../../src/logging.js';
import { startServer, stopServer, type RunningServer } from './server-process.js';

test('info-level logs of a real process carry no token, cookie, password or secret used in the run', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-logs-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.after(async () => await stopServer(server));
  const url = server.url;
  const basic = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
  const site = await fetch(`${url}/store/acme/SessionToken?format=json`);
  const cookie = /SLSESSION=([0-9a-f]+)/.exec(site.headers.get('set-cookie') ?? '')![1]!;
  const { session_token } = await site.json() as { session_token: string };
  const exchange = await fetch(`${url}/oauth20/token?grant_type=password&dr_session_token=${session_token}`, { method: 'POST', headers: { authorization: basic } });
  const pair = await exchange.json() as { access_token: string; refresh_token: string };
  const login = await fetch(`${url}/oauth20/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=jane&password=Other-Secret-77&client_id=acme-app&client_secret=app-secret-123' });
  assert.equal(login.status, 400);
  await fetch(`${url}/oauth20/access-tokens?token=${pair.access_token}`);
  await fetch(`${url}/oauth20/token?refresh_token=${pair.refresh_token}&grant_type=refresh_token`, { method: 'POST', headers: { authorization: basic } });
  await fetch(`${url}/store/acme/SessionToken?format=json`, { headers: { cookie: `SLSESSION=${cookie}` } });
  // Lines are written in batches; a graceful stop writes the rest.
  await stopAndDrain(server, 'SIGTERM');
  const output = server.output();
  assert.match(output, /oauth20\/access-tokens\?token=\[redacted\]/, 'requests are logged, with secrets redacted');
  for (const secret of [session_token, cookie, pair.access_token, pair.refresh_token, 'Other-Secret-77', basic.slice(6)]) {
    assert.ok(!output.includes(secret), `a secret reached the logs: ${secret.slice(0, 8)}…`);
  }
});

const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CART = '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage';

interface AccessLine { level: number; reqId: string; method: string; url: string; statusCode: number; responseTime: number; msg: string; err?: unknown }

/** The JSON log lines of an output (the demo banner is plain text). */
function logLines(output: string): Array<Record<string, unknown>> {
  return output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function accessLines(output: string): AccessLine[] {
  return logLines(output).filter((l) => typeof l.method === 'string' && typeof l.statusCode === 'number') as unknown as AccessLine[];
}

/** Stops the process and waits until its output has been read to the end. */
async function stopAndDrain(server: RunningServer, signal: NodeJS.Signals): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  return await new Promise((resolve) => {
    server.child.once('close', (code) => resolve(code));
    server.child.kill(signal);
  });
}

async function tempServer(t: { after: (fn: () => unknown) => void }, env: Record<string, string>): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-logs-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer({ DATA_DIR: dataDir, ...env });
  t.after(async () => await stopServer(server));
  return server;
}

test('at the default level, one access line per request; handoff, csrf, dr_limited_token and client_secret never reach it, from the query or the body', async (t) => {
  // startServer quiets the server to warn; an empty LOG_LEVEL is an unset one: the default, as `npm start` runs.
  const server = await tempServer(t, { LOG_LEVEL: '' });
  const url = server.url;
  const sent: string[] = [];
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    sent.push(path);
    return await fetch(url + path, { redirect: 'manual', ...init });
  };
  // Real secrets of each kind: a session, its limited token, two handoff codes and the page's CSRF value.
  const site = await call('/store/acme/SessionToken?format=json');
  const cookie = /SLSESSION=([0-9a-f]+)/.exec(site.headers.get('set-cookie') ?? '')![1]!;
  const { session_token } = await site.json() as { session_token: string };
  const limited = (await (await call('/oauth20/token', { method: 'POST', headers: { ...FORM, authorization: BASIC }, body: `grant_type=password&dr_session_token=${session_token}` })).json() as { access_token: string }).access_token;
  const handoffOf = async (): Promise<string> => {
    const res = await call('/v1/shoppers/me/carts/active/web-checkout', { headers: { authorization: `Bearer ${limited}` } });
    assert.equal(res.status, 302);
    return new URL(res.headers.get('location')!).searchParams.get('handoff')!;
  };
  const handoffs = [await handoffOf(), await handoffOf()];
  // A fresh browser redeems the first code: the page sets its cookie and redirects to itself without it.
  const redeemed = await call(`${CART}?handoff=${handoffs[0]}`);
  assert.equal(redeemed.status, 302);
  const browserCookie = /SLSESSION=([0-9a-f]+)/.exec(redeemed.headers.get('set-cookie') ?? '')![1]!;
  const page = await call(CART, { headers: { cookie: `SLSESSION=${browserCookie}` } });
  const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(await page.text())![1]!;
  const wrongSecret = 'Not-The-Secret-' + 'q'.repeat(12);
  const asBrowser = { ...FORM, cookie: `SLSESSION=${browserCookie}` };
  // Each secret in the query, then in the body.
  await call(`${CART}?csrf=${csrf}&action=add&productId=1002&quantity=1`, { method: 'POST', headers: asBrowser, body: '' });
  await call(CART, { method: 'POST', headers: asBrowser, body: `csrf=${csrf}&action=add&productId=1002&quantity=1&handoff=${handoffs[1]}` });
  await call(`${CART}?handoff=${handoffs[1]}`, { headers: asBrowser });
  await call(`/oauth20/token?grant_type=client_credentials&dr_limited_token=${limited}`, { method: 'POST', headers: { ...FORM, authorization: BASIC }, body: '' });
  await call('/oauth20/token', { method: 'POST', headers: { ...FORM, authorization: BASIC }, body: `grant_type=client_credentials&dr_limited_token=${limited}` });
  await call('/oauth20/token', { method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC }, body: JSON.stringify({ grant_type: 'client_credentials', dr_limited_token: limited }) });
  await call(`/oauth20/token?grant_type=client_credentials&client_id=acme-app&client_secret=app-secret-123`, { method: 'POST', headers: FORM, body: '' });
  await call(`/oauth20/token?grant_type=client_credentials&client_id=acme-app&client_secret=${wrongSecret}`, { method: 'POST', headers: FORM, body: '' });
  await call('/oauth20/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=acme-app&client_secret=${wrongSecret}` });
  await call('/oauth20/token', { method: 'POST', headers: FORM, body: 'grant_type=client_credentials&client_id=acme-app&client_secret=app-secret-123' });
  // A graceful stop writes whatever is still buffered.
  assert.equal(await stopAndDrain(server, 'SIGTERM'), 0);
  const output = server.output();
  const lines = accessLines(output).filter((l) => l.url !== '/healthz');
  assert.deepEqual(lines.map((l) => l.url.split('?')[0]), sent.map((p) => p.split('?')[0]), 'one access line per request, in order');
  for (const line of lines) {
    assert.equal(line.level, 30);
    assert.equal(line.msg, 'request completed');
    assert.match(line.reqId, /^req-/);
    assert.ok(line.statusCode >= 200 && line.statusCode < 500 && line.responseTime >= 0, JSON.stringify(line));
  }
  assert.equal(new Set(lines.map((l) => l.reqId)).size, lines.length, 'each line its own request id');
  const urls = lines.map((l) => l.url);
  for (const name of ['handoff', 'csrf', 'dr_limited_token', 'client_secret']) {
    assert.ok(urls.some((u) => u.includes(`${name}=[redacted]`)), `a request with ${name} in its query is logged, redacted`);
  }
  const logText = logLines(output).map((l) => JSON.stringify(l)).join('\n');
  for (const secret of [...handoffs, csrf, limited, session_token, cookie, browserCookie, 'app-secret-123']) {
    assert.ok(!logText.includes(secret), `a secret reached the log lines: ${secret.slice(0, 8)}…`);
  }
  assert.ok(!output.includes(wrongSecret), 'a client secret reached the output');
});

test('SIGTERM after N requests: all N access lines are in stdout', async (t) => {
  const server = await tempServer(t, { LOG_LEVEL: 'info' });
  const N = 400;
  for (let i = 0; i < N; i += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, j) => { await (await fetch(`${server.url}/healthz?n=${i + j}`)).text(); }));
  }
  assert.equal(await stopAndDrain(server, 'SIGTERM'), 0);
  const seen = new Set(accessLines(server.output()).map((l) => l.url).filter((u) => u.startsWith('/healthz?n=')));
  assert.equal(seen.size, N, `access lines of ${N - seen.size} requests were lost at a graceful shutdown`);
  assert.ok(/"msg":"shutting down/.test(server.output()), 'the shutdown line itself is written');
});

test('kill -9 after N requests loses at most the last buffer of access lines', async (t) => {
  const server = await tempServer(t, { LOG_LEVEL: 'info' });
  const N = 400;
  for (let i = 0; i < N; i++) await (await fetch(`${server.url}/healthz?n=${i}`)).text();
  // The last line is written just after its answer: give it, and a batch already on its way to
  // stdout, a moment, so what the kill loses is what sat in the buffer (the periodic flush may
  // empty it meanwhile; that only loses less).
  await new Promise((r) => setTimeout(r, 100));
  await stopAndDrain(server, 'SIGKILL');
  const lines = accessLines(server.output()).filter((l) => l.url.startsWith('/healthz?n='));
  const seen = lines.map((l) => Number(l.url.slice('/healthz?n='.length)));
  // What was written is a prefix: lines leave in order, and only the tail can be missing.
  assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i));
  const lineBytes = Math.max(...lines.map((l) => Buffer.byteLength(JSON.stringify(l)) + 1));
  const lostBytes = (N - seen.length) * lineBytes;
  t.diagnostic(`lost ${N - seen.length} of ${N} access lines (${lostBytes} bytes) at kill -9`);
  // A batch leaves once LOG_BUFFER_BYTES are waiting, so less than that waits; one line of slack
  // because lostBytes counts every lost line at the longest line's length.
  assert.ok(lostBytes <= LOG_BUFFER_BYTES + lineBytes, `lost ${N - seen.length} lines, ${lostBytes} bytes: more than the ${LOG_BUFFER_BYTES}-byte buffer`);
});

test('a quiet server writes its access line within the flush interval, without a shutdown', async (t) => {
  const server = await tempServer(t, { LOG_LEVEL: 'info' });
  await (await fetch(`${server.url}/healthz?quiet=1`)).text();
  // One short line waits far below LOG_BUFFER_BYTES: only the periodic flush can write it.
  const deadline = Date.now() + LOG_FLUSH_INTERVAL_MS * 2 + 3000;
  while (!accessLines(server.output()).some((l) => l.url === '/healthz?quiet=1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(accessLines(server.output()).some((l) => l.url === '/healthz?quiet=1'), 'the line of an idle server never reached stdout');
});
