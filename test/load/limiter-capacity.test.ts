import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLimiter } from '../../src/limits/failures.js';
import { WindowCounter } from '../../src/limits/window-counter.js';

// How the in-memory counters bound their memory without giving anyone a fresh budget, at their
// real sizes (100,000 failure keys, 200,000 budget buckets). The flood over HTTP is in
// guess-limits.test.ts; these reach the corner cases (a table full of lockouts, the way out).

const FAILURE_KEYS = 100_000;
const BUDGET_KEYS = 200_000;

const WINDOW = 900_000;

test('failure limiter: a flood of new keys evicts keys below their limit, never a live lockout', async () => {
  const limiter = new MemoryLimiter();
  const t0 = 1_000_000;
  for (let i = 0; i < 3; i++) await limiter.record('login-user:jane', WINDOW, t0, 3);
  await limiter.record('login-ip:partial', WINDOW, t0, 50);
  for (let i = 0; i < FAILURE_KEYS + 1000; i++) await limiter.record(`client-ip:flood-${i}`, WINDOW, t0 + 1, 50);
  assert.equal(await limiter.count('login-user:jane', WINDOW, t0 + 2, 3), 3, 'the lockout is still there');
  assert.equal(await limiter.count(`client-ip:flood-${FAILURE_KEYS + 999}`, WINDOW, t0 + 2, 50), 1, 'the newest keys are tracked');
  assert.equal(await limiter.count('login-ip:partial', WINDOW, t0 + 2, 50), 0, 'an old key below its limit may go');
});

test('failure limiter: when every key is a live lockout a new key is counted in the overflow sketch (never fewer than its failures; 0 without any); room comes back as lockouts expire', async () => {
  const limiter = new MemoryLimiter();
  const t0 = 1_000_000;
  for (let i = 0; i < FAILURE_KEYS; i++) {
    await limiter.record(`k${i}`, WINDOW, t0 + i, 2);
    await limiter.record(`k${i}`, WINDOW, t0 + i, 2);
  }
  const later = t0 + FAILURE_KEYS;
  assert.equal(await limiter.count('newcomer', WINDOW, later, 5), 0, 'a key without failures is not refused');
  for (let j = 1; j <= 5; j++) assert.ok(await limiter.record('guesser', WINDOW, later, 5) >= j, 'its failures are counted, never fewer');
  assert.ok(await limiter.count('guesser', WINDOW, later, 5) >= 5, 'it is locked out');
  assert.equal(await limiter.count('newcomer', WINDOW, later, 5), 0);
  for (const i of [0, 1, FAILURE_KEYS / 2, FAILURE_KEYS - 1]) assert.equal(await limiter.count(`k${i}`, WINDOW, later, 2), 2, `lockout k${i} kept`);
  // Lockouts end one by one as their failures leave the window; once a tenth have, keys fit again.
  const tenth = FAILURE_KEYS / 10;
  assert.equal(await limiter.record('newcomer', WINDOW, t0 + WINDOW + tenth, 5), 1, 'an exact count again');
  assert.equal(await limiter.count(`k${FAILURE_KEYS - 1}`, WINDOW, t0 + WINDOW + tenth, 2), 2, 'the lockouts still running stay');
  // The guesser's overflowed failures still count where the exact table has room again: it
  // gains nothing from its key moving to the table (the sketch holds a failure up to two windows).
  assert.ok(await limiter.record('guesser', WINDOW, t0 + WINDOW + tenth, 5) >= 6);
  // Once the overflow's windows have passed, it holds nothing: a clean start, as in the table.
  assert.equal(await limiter.count('guesser', WINDOW, t0 + 3 * WINDOW + tenth, 5), 0);
});

test('failure limiter: with the table full of lockouts and 50,000 more keys at limit 20 in the sketch, fresh clients are almost never refused', async () => {
  // The worst case the sketch meets: every overflowed key at a per-key limit (20), so one
  // collision in every row reaches it. Measured, not assumed: the share of 20,000 fresh keys that
  // read any failure at all (a key's own lockout gate opens at 1) and that read 20 or more.
  const limiter = new MemoryLimiter();
  const t0 = 1_000_000;
  for (let i = 0; i < FAILURE_KEYS; i++) await limiter.record(`login-user:acme:made-up-${i}`, WINDOW, t0, 1);
  const overflowKeys = 50_000;
  for (let i = 0; i < overflowKeys; i++) {
    for (let j = 0; j < 20; j++) await limiter.record(`client-key-ip:acme-app:10.${i}`, WINDOW, t0 + 1, 20);
  }
  assert.ok(await limiter.count(`client-key-ip:acme-app:10.${overflowKeys - 1}`, WINDOW, t0 + 2, 20) >= 20, 'the overflowed keys are locked out');
  let seen = 0;
  let refused = 0;
  const fresh = 20_000;
  for (let i = 0; i < fresh; i++) {
    const count = await limiter.count(`client-ip:fresh-${i}`, WINDOW, t0 + 2, 50);
    if (count > 0) seen++;
    if (count >= 20) refused++;
  }
  // Expected share: (1 − e^(−50,000 / 2^18))^4 ≈ 0.09 % (each of the 4 rows must hit an occupied cell).
  assert.ok(seen / fresh < 0.01, `${seen} of ${fresh} fresh keys read a failure`);
  assert.ok(refused / fresh < 0.01, `${refused} of ${fresh} fresh keys read 20`);
});

test('budget counter: a flood of new keys never drops a bucket at its limit', async () => {
  let now = 1_000_000;
  const counter = new WindowCounter(() => now);
  counter.add('guest-ip:acme:203.0.113.1', 2, 60_000, now);
  counter.add('guest-ip:acme:203.0.113.1', 2, 60_000, now);
  counter.add('guest-ip:acme:203.0.113.2', 2, 60_000, now);
  for (let i = 0; i < BUDGET_KEYS + 1000; i++) counter.peek(`guest-ip:acme:flood-${i}`, 2, 60_000, now + 1);
  now += 2;
  assert.equal(counter.peek('guest-ip:acme:203.0.113.1', 2, 60_000, now).ok, false, 'the spent budget is still spent');
  await counter.close();
});

test('failure limiter: overflowed keys are never under-counted, whatever shares their cells; past four window lengths a longer window counts, and a key nothing can count is refused', async () => {
  // A tiny table and sketch (16 cells a row) so that collisions are everywhere.
  const limiter = new MemoryLimiter(10, 16);
  const t0 = 5_000_000;
  for (let i = 0; i < 10; i++) for (let j = 0; j < 3; j++) await limiter.record(`locked-${i}`, WINDOW, t0, 3);
  const truth = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const key = `overflow-${i % 300}`;
    truth.set(key, (truth.get(key) ?? 0) + 1);
    await limiter.record(key, WINDOW, t0 + 1, 50);
  }
  for (const [key, failures] of truth) assert.ok(await limiter.count(key, WINDOW, t0 + 2, 50) >= failures, key);
  // Three more window lengths fill the four sketches; a fifth, shorter one is counted in the
  // shortest longer window; one longer than all of them cannot be counted and reads as its limit.
  for (const windowMs of [1_000, 2_000, 3_000]) await limiter.record(`w-${windowMs}`, windowMs, t0 + 3, 50);
  await limiter.record('w-1500', 1_500, t0 + 3, 50);
  assert.ok(await limiter.count('w-1500', 1_500, t0 + 4, 50) >= 1, 'counted in the 2,000 ms sketch');
  assert.equal(await limiter.count('never-failed', 2 * WINDOW, t0 + 4, 7), 7);
  assert.equal(await limiter.record('never-failed', 2 * WINDOW, t0 + 4, 7), 7);
});
