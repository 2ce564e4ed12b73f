import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setDemoStorefrontURL } from '../../src/ops/home.js';
import { startStorefront } from '../../examples/storefront/server.js';
import { buildTestApp } from '../support/helpers.js';

/** The pages' Content-Security-Policy, written out here rather than imported, so a change to it in src/ shows up as a failing test. */
const PAGE_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

test('GET / is a small page linking /docs and the health checks, with the store pages\' CSP', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.equal(res.headers['content-security-policy'], PAGE_CSP);
  assert.equal(res.headers['x-frame-options'], 'DENY');
  for (const href of ['/docs', '/healthz', '/readyz', '/metrics']) {
    assert.match(res.body, new RegExp(`<a href="${href}">`));
  }
  // No demo storefront in this process: no link to one.
  assert.doesNotMatch(res.body, /demo storefront/i);
  // Each linked page answers.
  for (const href of ['/docs', '/healthz', '/readyz', '/metrics', '/sessionlink.js']) {
    const linked = await app.inject({ method: 'GET', url: href });
    assert.ok(linked.statusCode === 200 || linked.statusCode === 302, `${href} → ${linked.statusCode}`);
  }
});

test('GET / links the demo storefront when this process runs it, escaped', async (t) => {
  const { app } = await buildTestApp(t);
  setDemoStorefrontURL(app, 'http://localhost:8081/?a="><script>alert(1)</script>');
  const res = await app.inject({ method: 'GET', url: '/' });
  assert.ok(res.body.includes('<a href="http://localhost:8081/?a&#61;&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;">The demo storefront</a>'), res.body);
  assert.doesNotMatch(res.body, /<script>/);
});

test('/favicon.ico is an icon on the API and on the demo storefront, and no 404 in metrics', async (t) => {
  const { app } = await buildTestApp(t);
  const icon = await app.inject({ method: 'GET', url: '/favicon.ico' });
  assert.equal(icon.statusCode, 200);
  assert.equal(icon.headers['content-type'], 'image/x-icon');
  assert.deepEqual([...icon.rawPayload.subarray(0, 4)], [0, 0, 1, 0], 'an ICO header');
  assert.deepEqual([...icon.rawPayload.subarray(22, 26)], [0x89, 0x50, 0x4e, 0x47], 'holding a PNG');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /sessionlink_http_request_duration_seconds_count\{method="GET",route="\/favicon.ico",status="200"\} 1/);
  assert.doesNotMatch(metrics, /sessionlink_errors_total\{code="resource-not-found"/);

  const storefront = await startStorefront({
    port: 0, host: '127.0.0.1', apiURL: 'http://127.0.0.1:9', storeURL: 'http://127.0.0.1:9', siteId: 'acme',
    apiKey: 'acme-public', appKey: 'acme-app', appSecret: 'app-secret-123'
  });
  t.after(async () => await storefront.close());
  const shopIcon = await storefront.inject({ method: 'GET', url: '/favicon.ico' });
  assert.equal(shopIcon.statusCode, 200);
  assert.deepEqual(shopIcon.rawPayload, icon.rawPayload);
});
