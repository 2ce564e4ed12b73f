// Webhook endpoints from the seed file and the admin command line: malformed entries refused with
// a clear message and nothing changed; secrets encrypted at rest and never shown; deliveries
// listed and replayed by the real `sessionlink` process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, BASIC, buildTestApp, DEMO_SEED_WITH, form, openTestAppFor } from './support.js';
import { startReceiver, testSecret } from '../support/webhook-receiver.js';
import { loadSeed, readSeedFile } from '../../src/domain/seed.js';
import { Dispatcher } from '../../src/webhooks/dispatcher.js';

const SECRET = 'webhook-cli-secret-' + 'z'.repeat(24);
const SETTINGS = { timeoutSeconds: 2, maxAttempts: 3, baseDelaySeconds: 1, maxDelaySeconds: 10, pollSeconds: 60 };

const BAD_ENTRIES: Array<[string, Record<string, unknown>, RegExp]> = [
  ['plain http to another host', { url: 'http://shop.example/hooks' }, /must use https \(plain http only to a loopback address/],
  ['not a URL', { url: 'shop.example/hooks' }, /not an absolute URL/],
  ['another scheme', { url: 'ftp://127.0.0.1/hooks' }, /must use https/],
  ['a password in the URL', { url: 'https://user:pw@shop.example/hooks' }, /must not carry a user name or password/],
  ['a short secret', { secret: 'whsec_' + Buffer.alloc(16, 1).toString('base64') }, /24 to 64 random bytes/],
  ['a secret without its prefix', { secret: Buffer.alloc(32, 1).toString('base64') }, /"whsec_"/],
  ['an unknown event', { events: ['order.shipped'] }, /events/],
  ['an unknown field', { retries: 3 }, /retries|additional/i]
];

for (const backend of BACKENDS) {
  describe(`webhooks: seed file [${backend}]`, () => {
    it('a malformed webhook entry refuses the seed with where and why, and changes nothing', async (t) => {
      const app = await buildTestApp(t, { backend });
      const good = { url: 'https://shop.example/hooks', secret: testSecret() };
      for (const [name, change, message] of BAD_ENTRIES) {
        const seed = DEMO_SEED_WITH([good, { ...good, url: 'https://shop.example/other', ...change } as never]);
        seed.sites[0]!.products = [...seed.sites[0]!.products!, { id: '9999', name: 'New', price: '1.00' }];
        const file = join(mkdtempSync(join(tmpdir(), 'sessionlink-seed-')), 'seed.json');
        writeFileSync(file, JSON.stringify(seed));
        assert.throws(() => readSeedFile(file), (err: Error) => /sites\/0\/webhooks\/1/.test(err.message) && message.test(err.message), name);
        rmSync(file);
        if (name !== 'an unknown event' && name !== 'an unknown field') {
          await assert.rejects(loadSeed(app.ctx, seed), message, name);
        }
        assert.equal((await app.db.selectFrom('webhook_endpoints').selectAll().execute()).length, 0, name);
        assert.equal(await app.db.selectFrom('products').select('id').where('id', '=', '9999').executeTakeFirst(), undefined, name);
      }
    });

    it('applies endpoints once, keeps their secret encrypted, and re-applies an edited entry', async (t) => {
      const secret = testSecret();
      const app = await buildTestApp(t, { backend, seed: DEMO_SEED_WITH([{ url: 'https://shop.example/hooks', secret, events: ['order.placed'] }]) });
      const again = await loadSeed(app.ctx, DEMO_SEED_WITH([{ url: 'https://shop.example/hooks', secret, events: ['order.placed'] }]));
      assert.equal(again.applied, 0);
      const [row] = await app.db.selectFrom('webhook_endpoints').selectAll().execute();
      assert.ok(row !== undefined && !row.secret_enc.includes(secret.slice(6)) && !row.secret_enc.includes(secret));
      assert.equal(row.events, ',order.placed,');
      const rotated = testSecret();
      await loadSeed(app.ctx, DEMO_SEED_WITH([{ url: 'https://shop.example/hooks', secret: rotated }]));
      const rows = await app.db.selectFrom('webhook_endpoints').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0]!.fingerprint, row.fingerprint);
      assert.equal(rows[0]!.events, null);
    });
  });
}

interface CliResult { code: number; stdout: string; stderr: string }

async function cli(env: Record<string, string>, args: string[], stdin = ''): Promise<CliResult> {
  return await new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/sessionlink.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

describe('webhooks: the admin command line [sqlite]', () => {
  it('adds, lists, shows deliveries, replays and removes; bad input is refused and changes nothing', async (t) => {
    const rx = await startReceiver((n) => (n === 0 ? 500 : 204));
    t.after(rx.close);
    const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-webhooks-cli-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir, SESSIONLINK_SECRET: SECRET };
    const app = await openTestAppFor('sqlite', dataDir, DEMO_SEED_WITH([]), { secret: SECRET });
    t.after(app.close);

    const plain = await cli(env, ['webhooks', 'add', 'acme', 'http://shop.example/hooks']);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /must use https \(plain http only to a loopback address/);
    const badEvent = await cli(env, ['webhooks', 'add', 'acme', rx.url, '--events', 'order.placed,order.shipped']);
    assert.equal(badEvent.code, 2);
    assert.match(badEvent.stderr, /--events must list distinct event names/);
    const badSecret = await cli(env, ['webhooks', 'add', 'acme', rx.url, '--secret-stdin'], 'whsec_c2hvcnQ=\n');
    assert.equal(badSecret.code, 2);
    assert.match(badSecret.stderr, /24 to 64 random bytes/);
    assert.equal((await app.db.selectFrom('webhook_endpoints').selectAll().execute()).length, 0, 'refused input wrote nothing');

    const secret = testSecret();
    const added = await cli(env, ['webhooks', 'add', 'acme', rx.url, '--events', 'session.ended', '--secret-stdin', '--json'], `${secret}\n`);
    assert.equal(added.code, 0, added.stderr);
    const endpoint = JSON.parse(added.stdout) as { id: string; fingerprint: string; events: string[] };
    assert.deepEqual(endpoint.events, ['session.ended']);
    const twice = await cli(env, ['webhooks', 'add', 'acme', rx.url, '--secret-stdin'], `${secret}\n`);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already has an endpoint/);
    const list = await cli(env, ['webhooks', 'list', 'acme']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`${endpoint.id} +${rx.url.replace(/[.?]/g, '\\$&')} +session.ended +${endpoint.fingerprint}`));
    assert.ok(!list.stdout.includes(secret.slice(6, 20)), 'the secret is never shown');

    const res = await app.app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ grant_type: 'client_credentials' }) });
    const access = (res.json() as { access_token: string }).access_token;
    await app.app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${access}` } });
    const dispatcher = new Dispatcher(app.ctx, SETTINGS);
    assert.equal(await dispatcher.drain(), 1);
    const failed = await cli(env, ['webhooks', 'deliveries', 'acme']);
    assert.equal(failed.code, 0);
    assert.match(failed.stdout, /session\.ended +ep_[0-9a-f]+ +pending +1 +HTTP 500/);
    const event = /^(msg_[0-9a-f]+)/m.exec(failed.stdout)![1]!;
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await dispatcher.drain(), 1);
    const replayed = await cli(env, ['webhooks', 'replay', event]);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.equal(await dispatcher.drain(), 1);
    assert.deepEqual(rx.received.map((r) => r.id), [event, event, event], 'retry and replay carry the same webhook-id');
    const delivered = await cli(env, ['webhooks', 'deliveries', 'acme', '--status', 'delivered', '--json']);
    assert.deepEqual((JSON.parse(delivered.stdout) as Array<{ event: string; attempts: number }>).map((d) => [d.event, d.attempts]), [[event, 1]]);
    assert.equal((await cli(env, ['webhooks', 'replay', 'msg_nope'])).code, 1);
    assert.equal((await cli(env, ['webhooks', 'remove', endpoint.id])).code, 0);
    assert.match((await cli(env, ['webhooks', 'list', 'acme'])).stdout, /\(none\)/);
  });
});
