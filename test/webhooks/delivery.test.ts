// Webhook events over HTTP: changes made through the API and the hosted pages, delivered by the
// dispatcher to a real HTTP receiver on 127.0.0.1, signatures checked with `standardwebhooks`.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { BACKENDS, BASIC, buildTestApp, DEMO_SEED_WITH, form, type Backend, type TestApp } from './support.js';
import { startReceiver, testSecret, type Answer } from '../support/webhook-receiver.js';
import { Dispatcher } from '../../src/webhooks/dispatcher.js';
import { backoffMs } from '../../src/domain/webhook-delivery.js';
import { listDeliveries } from '../../src/domain/webhook-endpoints.js';
import { emitEvent } from '../../src/domain/events.js';
import { countWebhookRows } from '../support/reader.js';
import type { WebhookSettings } from '../../src/config.js';
import { sweepExpired, endSession } from '../../src/domain/sessions.js';
import { SessionlinkClient, WebhookError } from '../../src/client/index.js';
import { Webhook } from 'standardwebhooks';

const SETTINGS: WebhookSettings = { timeoutSeconds: 2, maxAttempts: 4, baseDelaySeconds: 10, maxDelaySeconds: 3600, pollSeconds: 60 };
const CART = '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function setup(t: TestContext, backend: Backend, answer?: (n: number) => Answer, settings = SETTINGS) {
  const secret = testSecret();
  const rx = await startReceiver(answer);
  t.after(rx.close);
  const app = await buildTestApp(t, { backend, seed: DEMO_SEED_WITH([{ url: rx.url, secret }]) });
  const dispatcher = new Dispatcher(app.ctx, settings, { random: () => 1 });
  return { secret, rx, app, dispatcher };
}

async function token(t: TestApp, values: Record<string, string>): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, ...FORM }, payload: form(values) });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

/** One `session.ended` event: a guest token, revoked. */
async function revokeOne(t: TestApp): Promise<void> {
  const access = await token(t, { grant_type: 'client_credentials' });
  const res = await t.app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${access}` } });
  assert.equal(res.statusCode, 200);
}

async function count(t: TestApp, table: 'webhook_events' | 'webhook_deliveries'): Promise<number> {
  const row = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const backend of BACKENDS) {
  describe(`webhooks: delivery [${backend}]`, () => {
    it('a checkout round trip sends each event once, signed, in order, with ids and no secrets', async (t) => {
      const { secret, rx, app, dispatcher } = await setup(t, backend);
      let cookie = '';
      const browser = async (method: 'GET' | 'POST', url: string, body?: Record<string, string>): Promise<LightMyRequestResponse> => {
        const res = await app.app.inject({ method, url, headers: { cookie: `SLSESSION=${cookie}`, ...(body ? FORM : {}) }, payload: body ? form(body) : undefined });
        const set = /SLSESSION=([^;]*)/.exec(String(res.headers['set-cookie'] ?? ''));
        if (set) cookie = set[1]!;
        return res;
      };
      const sessionToken = ((await browser('GET', '/store/acme/SessionToken?format=json')).json() as { session_token: string }).session_token;
      const limited = await token(app, { grant_type: 'password', dr_session_token: sessionToken });
      const bearer = { authorization: `Bearer ${limited}`, accept: 'application/json' };
      assert.equal((await app.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active?productId=1001&quantity=2', headers: bearer })).statusCode, 200);
      const sessionId = ((await app.app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: bearer })).json() as { sessionId: string }).sessionId;
      const checkout = await app.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer });
      const handoff = new URL(String(checkout.headers.location));
      cookie = '';
      assert.equal((await browser('GET', handoff.pathname + handoff.search)).statusCode, 302);
      const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec((await browser('GET', CART)).body)![1]!;
      assert.equal((await browser('POST', CART, { csrf, action: 'add', productId: '1002', quantity: '1' })).statusCode, 303);
      const full = await token(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_limited_token: limited });
      const submit = await app.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/submit-cart', headers: { authorization: `Bearer ${full}`, accept: 'application/json' } });
      assert.equal(submit.statusCode, 200, submit.body);
      const orderId = (submit.json() as { submitCart: { order: { id: string } } }).submitCart.order.id;
      assert.equal((await app.app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${full}` } })).statusCode, 200);
      assert.equal(rx.received.length, 0, 'nothing is sent on the request path');

      assert.equal(await dispatcher.drain(), 6);
      const events = rx.events(secret); // throws on a bad signature
      assert.deepEqual(events.map((e) => e.type), ['handoff.redeemed', 'cart.updated', 'session.authenticated', 'session.rekeyed', 'order.placed', 'session.ended']);
      assert.equal(new Set(events.map((e) => e.id)).size, 6);
      for (const e of events) {
        assert.equal(e.data.siteId, 'acme');
        assert.equal(e.data.sessionId, sessionId);
        assert.ok(!Number.isNaN(Date.parse(e.timestamp)));
      }
      assert.equal(typeof events[2]!.data.shopperId, 'string');
      assert.deepEqual({ ...events[4]!.data }, { siteId: 'acme', sessionId, orderId, total: '74.48', currency: 'USD' });
      assert.equal(events[5]!.data.reason, 'revoked');
      const everything = rx.received.map((r) => JSON.stringify(r)).join('\n');
      for (const secretValue of [sessionToken, limited, full, handoff.searchParams.get('handoff')!, 'Correct-Horse-9', cookie]) {
        assert.ok(!everything.includes(secretValue), 'a token, code or password reached a webhook');
      }
      assert.equal(await dispatcher.drain(), 0, 'delivered once');
    });

    it('a failed delivery is retried with the same webhook-id after the backoff; the endpoint\'s next event waits for it', async (t) => {
      const { secret, rx, app, dispatcher } = await setup(t, backend, (n) => (n === 0 ? 500 : 204));
      await revokeOne(app);
      await revokeOne(app);
      assert.equal(await dispatcher.drain(), 1, 'the second event waits behind the first');
      const [first] = await listDeliveries(app.ctx, 'acme', { status: 'pending', limit: 10 }).then((d) => d.filter((x) => x.attempts === 1));
      assert.equal(first!.httpStatus, 500);
      assert.equal(first!.error, 'HTTP 500');
      assert.equal(Date.parse(first!.nextAttemptAt!), app.clock.now() + 10_000);
      app.clock.advance(9);
      assert.equal(await dispatcher.tick(), 0, 'not before the backoff');
      app.clock.advance(1);
      assert.equal(await dispatcher.drain(), 2);
      const events = rx.events(secret);
      assert.equal(events.length, 3);
      assert.equal(events[0]!.id, events[1]!.id, 'the retry has the same webhook-id');
      assert.ok(events[1]!.id < events[2]!.id, 'in order');
      const delivered = await listDeliveries(app.ctx, 'acme', { status: 'delivered', limit: 10 });
      assert.deepEqual(delivered.map((d) => d.attempts).sort(), [1, 2]);
    });

    it('backs off exponentially, then gives up; a given-up delivery no longer holds the next one', async (t) => {
      const { rx, app, dispatcher } = await setup(t, backend, (n) => (n < 4 ? 503 : 204));
      await revokeOne(app);
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        assert.equal(await dispatcher.tick(), 1, `attempt ${attempt}`);
        const [d] = await listDeliveries(app.ctx, 'acme', { limit: 1 });
        assert.equal(d!.attempts, attempt);
        if (attempt < 4) {
          const wait = Date.parse(d!.nextAttemptAt!) - app.clock.now();
          waits.push(wait);
          app.clock.advance(wait / 1000);
        } else {
          assert.equal(d!.status, 'failed');
          assert.equal(d!.error, 'HTTP 503');
        }
      }
      assert.deepEqual(waits, [10_000, 20_000, 40_000]);
      await revokeOne(app);
      assert.equal(await dispatcher.drain(), 1);
      assert.equal(rx.received.length, 5);
      // Jitter: a random point in the upper half of the full delay, and the delay has a ceiling.
      assert.equal(backoffMs(3, SETTINGS, () => 0), 20_000);
      assert.equal(backoffMs(3, SETTINGS, () => 1), 40_000);
      assert.equal(backoffMs(30, SETTINGS, () => 1), 3_600_000);
    });

    it('a redirect is a failure and is not followed; a huge answer is cut off at 4 KiB and still counts', async (t) => {
      const other = await startReceiver();
      t.after(other.close);
      const { rx, app, dispatcher } = await setup(t, backend, (n) => (n === 0
        ? (res) => { res.writeHead(307, { location: other.url }); res.end(); }
        : (res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          const chunk = 'x'.repeat(64 * 1024);
          const pump = (): void => { while (res.write(chunk)) { /* fill */ } res.once('drain', pump); };
          pump();
        }));
      await revokeOne(app);
      assert.equal(await dispatcher.tick(), 1);
      const [d] = await listDeliveries(app.ctx, 'acme', { limit: 1 });
      assert.equal(d!.status, 'pending');
      assert.equal(d!.error, 'redirect (HTTP 307) not followed');
      assert.equal(other.received.length, 0);
      app.clock.advance(10);
      const started = Date.now();
      assert.equal(await dispatcher.tick(), 1);
      assert.ok(Date.now() - started < 1500, 'the endless answer was not read to its end');
      assert.equal((await listDeliveries(app.ctx, 'acme', { limit: 1 }))[0]!.status, 'delivered');
      assert.equal(rx.received.length, 2);
    });

    it('a slow endpoint times out, and requests never wait for it', async (t) => {
      const { rx, app, dispatcher } = await setup(t, backend, () => 'hang', { ...SETTINGS, timeoutSeconds: 1 });
      await revokeOne(app);
      let done = false;
      const round = dispatcher.tick().then((n) => { done = true; return n; });
      while (rx.received.length === 0) await new Promise((r) => setTimeout(r, 10));
      await revokeOne(app); // a change while the delivery hangs
      assert.equal(done, false, 'the request finished while the delivery was still waiting');
      assert.equal(await round, 1);
      const [older] = (await listDeliveries(app.ctx, 'acme', { limit: 10 })).filter((d) => d.attempts === 1);
      assert.equal(older!.error, 'no answer within 1 s');
      assert.equal(older!.httpStatus, null);
    });

    it('a sign-in on a new session, an operator\'s end and expiry (reported once, by the sweep) send their events', async (t) => {
      const { secret, rx, app, dispatcher } = await setup(t, backend);
      const full = await token(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' });
      const info = await app.app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${full}`, accept: 'application/json' } });
      const sessionId = (info.json() as { sessionId: string }).sessionId;
      const guest = await token(app, { grant_type: 'client_credentials' });
      const guestSession = ((await app.app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${guest}`, accept: 'application/json' } })).json() as { sessionId: string }).sessionId;
      assert.equal(await endSession(app.ctx, guestSession), true);
      app.clock.advance(86_401);
      await sweepExpired(app.ctx);
      await sweepExpired(app.ctx);
      await dispatcher.drain();
      const events = rx.events(secret).map((e) => [e.type, e.data.sessionId, e.data.reason ?? e.data.shopperId !== undefined]);
      assert.deepEqual(events, [
        ['session.authenticated', sessionId, true],
        ['session.ended', guestSession, 'ended'],
        ['session.ended', sessionId, 'expired']
      ]);
    });

    it('client.webhooks.verify returns the typed event of a real delivery and refuses a changed, unsigned or stale one', async (t) => {
      const { secret, rx, app, dispatcher } = await setup(t, backend);
      await revokeOne(app);
      await dispatcher.drain();
      const [delivery] = rx.received;
      const client = new SessionlinkClient({ baseURL: 'http://api.test', clientId: 'acme-app', webhookSecret: secret });
      const event = await client.webhooks.verify(delivery!.body, delivery!.headers);
      assert.equal(event.id, delivery!.id);
      assert.equal(event.type, 'session.ended');
      if (event.type === 'session.ended') assert.equal(event.data.reason, 'revoked');
      const fetchHeaders = new Headers(Object.entries(delivery!.headers).map(([k, v]) => [k, String(v)] as [string, string]));
      assert.equal((await client.webhooks.verify(new TextEncoder().encode(delivery!.body), fetchHeaders)).id, delivery!.id);
      const refused = async (body: string, headers: Record<string, string | string[] | undefined>, code: WebhookError['code'], verifier = client): Promise<void> => {
        await assert.rejects(verifier.webhooks.verify(body, headers), (err: unknown) => err instanceof WebhookError && err.code === code, code);
      };
      await refused(delivery!.body.replace('revoked', 'expired'), delivery!.headers, 'invalid_signature');
      await refused(delivery!.body, { ...delivery!.headers, 'webhook-signature': undefined }, 'missing_headers');
      const old = new Date(Date.now() - 10 * 60_000);
      const stale = { 'webhook-id': delivery!.id, 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(delivery!.id, old, delivery!.body) };
      await refused(delivery!.body, stale, 'stale_timestamp');
      await refused(delivery!.body, delivery!.headers, 'invalid_signature', new SessionlinkClient({ baseURL: 'http://api.test', clientId: 'x', webhookSecret: testSecret() }));
      await refused(delivery!.body, delivery!.headers, 'no_secret', new SessionlinkClient({ baseURL: 'http://api.test', clientId: 'x' }));
    });

    it('a change that rolls back writes no event; a site without endpoints writes nothing', async (t) => {
      const { app } = await setup(t, backend);
      await assert.rejects(app.ctx.store.transaction(async (trx) => {
        await emitEvent(app.ctx, trx, 'order.placed', { siteId: 'acme', sessionId: 's1', orderId: 'o1', total: '1.00' });
        assert.equal(await countWebhookRows(trx, 'webhook_events'), 1);
        throw new Error('the change fails after its event was written');
      }), /the change fails/);
      assert.equal(await count(app, 'webhook_events'), 0);
      assert.equal(await count(app, 'webhook_deliveries'), 0);
      const otherSite = await app.app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: 'Basic ' + Buffer.from('other-app:other-secret-456').toString('base64'), ...FORM }, payload: 'grant_type=client_credentials' });
      const access = (otherSite.json() as { access_token: string }).access_token;
      await app.app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${access}` } });
      assert.equal(await count(app, 'webhook_events'), 0, 'the other site has no endpoints');
    });
  });
}
