import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LOG_REDACT, LOG_SERIALIZERS } from '../../src/http/redact.js';
import { openTestApp } from '../support/helpers.js';
import { DEMO_SEED } from '../support/seed.js';

// Request loggers are made lazily (src/http/request-logger.ts): what reaches the log must not change.
async function appLoggingAt(level: string, lines: Array<Record<string, unknown>>) {
  const stream = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
  const { app } = await openTestApp({ seed: DEMO_SEED, now: Date.now, logger: { level, stream, serializers: LOG_SERIALIZERS, redact: LOG_REDACT } });
  app.get('/boom', async () => { throw new Error('kaboom'); });
  app.get('/note', async (request) => { request.log.info({ note: 'n' }, 'object line'); request.log.info('string line'); return { ok: true }; });
  app.get('/quiet', { logLevel: 'error' }, async (request) => { request.log.info('not at this route'); request.log.error('route error'); return { ok: true }; });
  await app.ready();
  return app;
}

test('at warn, a server error is logged once with its request id, and nothing at info', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const app = await appLoggingAt('warn', lines);
  t.after(async () => await app.close());
  assert.equal((await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' })).statusCode, 200);
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  assert.equal(boom.statusCode, 500);
  assert.ok(!lines.some((l) => l.level === 30), 'no info lines at warn');
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1, JSON.stringify(lines));
  assert.equal(typeof errors[0]!.reqId, 'string');
  assert.match(JSON.stringify(errors[0]), /kaboom/);
  // That one line is the request's access line, carrying the error with its stack.
  assert.deepEqual([errors[0]!.method, errors[0]!.url, errors[0]!.statusCode], ['GET', '/boom', 500]);
  assert.match(String((errors[0]!.err as { stack?: string }).stack), /Error: kaboom/);
});

test('at info, every request line carries its request id; a route log level still applies', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const app = await appLoggingAt('info', lines);
  t.after(async () => await app.close());
  await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  const info = lines.filter((l) => l.level === 30);
  assert.equal(info.length, 1, 'one access line per request, not Fastify\'s two');
  assert.match(String(info[0]!.reqId), /^req-/);
  assert.deepEqual([info[0]!.msg, info[0]!.method, info[0]!.url, info[0]!.statusCode], ['request completed', 'GET', '/store/acme/SessionToken?format=json', 200]);
  assert.ok(typeof info[0]!.responseTime === 'number' && info[0]!.responseTime >= 0);
  assert.equal(info[0]!.remoteAddress, '127.0.0.1', 'the client\'s address, as the old incoming line had it');
  lines.length = 0;
  await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  assert.equal(lines.length, 1);
  assert.notEqual(lines[0]!.reqId, info[0]!.reqId, 'each request its own id');
  lines.length = 0;
  await app.inject({ method: 'GET', url: '/quiet' });
  assert.ok(!lines.some((l) => l.msg === 'not at this route'));
  assert.ok(lines.some((l) => l.msg === 'route error' && typeof l.reqId === 'string'));
});

test('access lines redact every secret query value, whatever its case or encoding; bodies are never logged', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const app = await appLoggingAt('info', lines);
  t.after(async () => await app.close());
  const secrets = ['handoff', 'csrf', 'dr_limited_token', 'client_secret', 'token', 'code', 'password', 'dr_session_token', 'sessionToken', 'refresh_token', 'new_password', 'id_token_hint'];
  const query = secrets.map((name, i) => `${name}=s3cret${i}x`).join('&');
  await app.inject({ method: 'GET', url: `/oauth20/access-tokens?format=json&${query}&HANDOFF=s3cretA&%68andoff=s3cretB` });
  await app.inject({ method: 'POST', url: '/oauth20/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: secrets.map((name, i) => `${name}=b0dy${i}x`).join('&') });
  await app.inject({ method: 'POST', url: '/oauth20/token', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ client_secret: 'b0dyJSON', dr_limited_token: 'b0dyJSON2' }) });
  assert.equal(lines.length, 3, JSON.stringify(lines));
  const text = JSON.stringify(lines);
  assert.ok(!/s3cret|b0dy/.test(text), `a secret reached the log: ${text}`);
  assert.equal(lines[0]!.url, `/oauth20/access-tokens?format=json&${secrets.map((name) => `${name}=[redacted]`).join('&')}&HANDOFF=[redacted]&%68andoff=[redacted]`);
  assert.deepEqual(lines.slice(1).map((l) => l.url), ['/oauth20/token', '/oauth20/token']);
});

test('a handler\'s own request log lines keep the request id; a 4xx is an info access line', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const app = await appLoggingAt('info', lines);
  t.after(async () => await app.close());
  await app.inject({ method: 'GET', url: '/note' });
  assert.deepEqual(lines.map((l) => l.msg), ['object line', 'string line', 'request completed']);
  assert.equal(new Set(lines.map((l) => l.reqId)).size, 1);
  assert.match(String(lines[0]!.reqId), /^req-/);
  assert.equal(lines[0]!.note, 'n');
  lines.length = 0;
  const res = await app.inject({ method: 'GET', url: '/v1/shoppers/me' });
  assert.equal(res.statusCode, 401);
  assert.equal(lines.length, 1);
  assert.deepEqual([lines[0]!.level, lines[0]!.statusCode], [30, 401]);
  assert.equal(lines[0]!.err, undefined, 'a client error carries no stack');
});

test('the access line has pino\'s shape and order, its strings escaped; a logger with a mixin still gets its fields', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const app = await appLoggingAt('info', lines);
  t.after(async () => await app.close());
  await app.inject({ method: 'GET', url: '/healthz?q="quoted"\\back\u00e9' });
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.deepEqual(Object.keys(lines[0]!), ['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'url', 'statusCode', 'responseTime', 'remoteAddress', 'msg']);
  // The request URL as the server got it (inject percent-encodes the quotes and é; the backslash stays).
  assert.equal(lines[0]!.url, '/healthz?q=%22quoted%22\\back%C3%A9');
  assert.equal(lines[0]!.pid, process.pid);
  assert.ok(typeof lines[0]!.time === 'number' && Math.abs((lines[0]!.time as number) - Date.now()) < 60_000);

  const stream = new Writable({ write(chunk, _enc, done) { raw.push(String(chunk)); done(); } });
  const { app: mixed } = await openTestApp({ seed: DEMO_SEED, now: Date.now, logger: { level: 'info', stream, mixin: () => ({ service: 'sl-test' }), serializers: LOG_SERIALIZERS, redact: LOG_REDACT } });
  t.after(async () => await mixed.close());
  await mixed.inject({ method: 'GET', url: '/healthz' });
  const line = JSON.parse(raw.join('').trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.deepEqual([line.service, line.url, line.statusCode, line.msg], ['sl-test', '/healthz', 200, 'request completed']);
});
