import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPgDatabase, requireRedis, TEST_REDIS_URL } from '../support/helpers.js';
import { freePort } from './server-process.js';

// A test that needs PostgreSQL or Redis and finds it not answering fails with one line saying
// how to start it (and which variable points elsewhere), not with a stack of driver internals.
test('PostgreSQL not answering: one line saying how to start it', async () => {
  const port = await freePort();
  const err = await createPgDatabase(`postgres://postgres:hunter2@127.0.0.1:${port}/postgres`).then(() => null, (e: unknown) => e as Error);
  assert.ok(err instanceof Error);
  assert.match(err.message, new RegExp(`^PostgreSQL is not answering at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/postgres \\(ECONNREFUSED\\): start it .* or set TEST_PG_ADMIN_URL$`));
  assert.doesNotMatch(err.message, /hunter2/);
  assert.equal(err.stack, `Error: ${err.message}`);
  assert.ok(!err.message.includes('\n'));
});

test('Redis not answering: one line saying how to start it', async () => {
  const port = await freePort();
  const err = await requireRedis(`redis://127.0.0.1:${port}`).then(() => null, (e: unknown) => e as Error);
  assert.ok(err instanceof Error);
  assert.match(err.message, new RegExp(`^Redis is not answering at redis://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): start it .* or set TEST_REDIS_URL$`));
  assert.equal(err.stack, `Error: ${err.message}`);
});

test('the machine\'s PostgreSQL and Redis answer (what the suite needs)', async () => {
  await requireRedis(TEST_REDIS_URL);
  const { drop } = await createPgDatabase();
  await drop();
});
