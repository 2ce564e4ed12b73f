import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApp } from '../src/app.js';
import { openDatabase } from '../src/db/open.js';
import { DEMO_SEED, loadSeed } from '../src/domain/seed.js';
import { LOG_REDACT, LOG_SERIALIZERS } from '../src/http/redact.js';
import { testConfig } from './helpers.js';

// Request loggers are made lazily (src/http/request-logger.ts): what reaches the log must not change.
async function appLoggingAt(level: string, lines: Array<Record<string, unknown>>) {
  const stream = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
  const db = await openDatabase({ databaseURL: null, dataDir: ':memory:' });
  const app = await buildApp({ config: testConfig(), db, logger: { level, stream, serializers: LOG_SERIALIZERS, redact: LOG_REDACT } });
  await loadSeed(app.ctx, DEMO_SEED);
  app.get('/boom', async () => { throw new Error('kaboom'); });
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
});

test('at info, every request line carries its request id; a route log level still applies', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const app = await appLoggingAt('info', lines);
  t.after(async () => await app.close());
  await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  const info = lines.filter((l) => l.level === 30);
  assert.ok(info.length >= 2, 'incoming request and request completed');
  assert.ok(info.every((l) => typeof l.reqId === 'string'));
  assert.equal(new Set(info.map((l) => l.reqId)).size, 1, 'one request, one id');
  lines.length = 0;
  await app.inject({ method: 'GET', url: '/quiet' });
  assert.ok(!lines.some((l) => l.msg === 'not at this route'));
  assert.ok(lines.some((l) => l.msg === 'route error' && typeof l.reqId === 'string'));
});
