// The pure rules, without an app: TTL arithmetic, quantity and version parsing, money, HTML and
// XML escaping, the JSONP callback check and body. Each one is also reached over HTTP elsewhere;
// here the edges are enumerated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiryOf, secondsLeft, type Session } from '../../src/domain/sessions.js';
import type { Site } from '../../src/domain/sites.js';
import { fromCents, parseQuantity, parseVersion, toCents } from '../../src/domain/cart.js';
import { MAX_QUANTITY } from '../../src/domain/carts.js';
import { escapeHTML } from '../../src/http/html.js';
import { jsonpBody, jsonpCallback, toXML } from '../../src/http/render.js';

const T0 = Date.UTC(2026, 0, 1);

function site(ttlSeconds: number, idleSeconds: number): Site {
  return { ttl_seconds: ttlSeconds, idle_seconds: idleSeconds } as Site;
}

test('TTL: without an idle timeout a session ends ttl seconds after it began, however it is used', () => {
  assert.equal(expiryOf(site(3600, 0), T0, T0), T0 + 3_600_000);
  assert.equal(expiryOf(site(3600, 0), T0, T0 + 3_000_000), T0 + 3_600_000);
});

test('TTL: with an idle timeout the earlier of the absolute end and last use + idle', () => {
  assert.equal(expiryOf(site(3600, 600), T0, T0), T0 + 600_000);
  assert.equal(expiryOf(site(3600, 600), T0, T0 + 1_000_000), T0 + 1_600_000);
  // Use never pushes it past the absolute end.
  assert.equal(expiryOf(site(3600, 600), T0, T0 + 3_500_000), T0 + 3_600_000);
});

test('TTL: seconds left are whole seconds rounded down, never negative', () => {
  const session = { expires_at: T0 + 10_999 } as Session;
  assert.equal(secondsLeft(session, T0), 10);
  assert.equal(secondsLeft(session, T0 + 10_000), 0);
  assert.equal(secondsLeft(session, T0 + 10_999), 0);
  assert.equal(secondsLeft(session, T0 + 60_000), 0);
});

test('quantity: a whole number from 1 to MAX_QUANTITY; blanks around it are allowed; the fallback only when absent', () => {
  assert.equal(parseQuantity('1'), 1);
  assert.equal(parseQuantity(' 7 '), 7);
  assert.equal(parseQuantity(String(MAX_QUANTITY)), MAX_QUANTITY);
  assert.equal(parseQuantity(undefined, 1), 1);
  assert.equal(parseQuantity('', 3), 3);
  for (const bad of ['0', String(MAX_QUANTITY + 1), '-1', '1.5', '1e2', '0x10', 'abc', '1000000', ' ']) {
    assert.throws(() => parseQuantity(bad), /Quantity must be a whole number from 1 to 999/, bad);
  }
  assert.throws(() => parseQuantity(undefined), /Missing required parameter "quantity"/);
});

test('cart version: a number, an ETag (weak or quoted), or * / nothing for "any"', () => {
  assert.equal(parseVersion(undefined), null);
  assert.equal(parseVersion(''), null);
  assert.equal(parseVersion('*'), null);
  assert.equal(parseVersion('4'), 4);
  assert.equal(parseVersion('"4"'), 4);
  assert.equal(parseVersion('W/"12"'), 12);
  for (const bad of ['-1', 'v4', '"4', '1.0', '1234567890123']) assert.throws(() => parseVersion(bad), /version must be a whole number/, bad);
});

test('money: decimal strings to cents and back, without floating point', () => {
  assert.equal(toCents('19.99'), 1999);
  assert.equal(toCents('0.1'), 10);
  assert.equal(toCents('5'), 500);
  assert.equal(toCents('0.29'), 29);
  assert.equal(fromCents(1999), '19.99');
  assert.equal(fromCents(5), '0.05');
  assert.equal(fromCents(0), '0.00');
  assert.equal(fromCents(toCents('0.29') * 3), '0.87');
});

test('HTML escaping: every character that could leave a text node or an attribute value', () => {
  assert.equal(escapeHTML('<img src=x onerror="alert(1)">'), '&#60;img src&#61;x onerror&#61;&#34;alert(1)&#34;&#62;');
  assert.equal(escapeHTML("it's `a` & b"), 'it&#39;s &#96;a&#96; &#38; b');
  assert.equal(escapeHTML(null), '');
  assert.equal(escapeHTML(undefined), '');
  assert.equal(escapeHTML(42), '42');
  assert.equal(escapeHTML('plain Widget 1001'), 'plain Widget 1001');
});

test('XML documents escape markup in values', () => {
  const xml = toXML({ cart: { name: '<b>&"Widget"</b>' } });
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
  assert.ok(!xml.includes('<b>'), xml);
  assert.match(xml, /<name>&lt;b&gt;&amp;(&quot;|")Widget(&quot;|")&lt;\/b&gt;<\/name>/);
});

test('JSONP callback: identifiers and dotted paths up to 128 characters; anything else is refused', () => {
  const ask = (callback?: string): string | null => jsonpCallback(new Map(callback === undefined ? [] : [['callback', callback]]));
  assert.equal(ask(), null);
  for (const good of ['cb', 'jQuery3600_1700000000000', '$', '_x', 'a.b.c', 'x'.repeat(128)]) assert.equal(ask(good), good);
  for (const bad of ['', '1abc', 'a..b', 'a.', 'alert(1)', 'a-b', 'a b', 'x'.repeat(129), 'a[0]', 'a;b', '\u2028']) {
    assert.throws(() => ask(bad), /Invalid callback name/, JSON.stringify(bad));
  }
});

test('JSONP body: a leading comment, and U+2028, U+2029 and < escaped so the JSON stays one inert expression', () => {
  assert.equal(jsonpBody('cb', { a: 1 }), '/**/cb({"a":1});');
  const body = jsonpBody('cb', { s: '</script>\u2028\u2029' });
  assert.equal(body, '/**/cb({"s":"\\u003c/script>\\u2028\\u2029"});');
  assert.ok(!body.includes('<') && !body.includes('\u2028') && !body.includes('\u2029'));
});
