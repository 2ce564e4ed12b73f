import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './helpers.js';

export const CART = '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage';
export const PAY = '/store/acme/en_US/DisplayThreePgCheckoutAddressPaymentInfoPage';
export const THANKS = '/store/acme/en_US/ThankYouPage';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A tiny browser over inject: one cookie jar for SLSESSION, forms posted as a browser posts them. */
export class PageBrowser {
  cookie: string | null = null;
  /** Every SLSESSION value the server set, in order. */
  readonly cookies: string[] = [];
  constructor(private readonly t: TestApp, private readonly ip = '127.0.0.1') {}
  private remember(res: LightMyRequestResponse): void {
    const raw = res.headers['set-cookie'];
    for (const line of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
      const m = /^SLSESSION=([^;]*)/.exec(line);
      if (m) {
        this.cookie = m[1]!;
        this.cookies.push(m[1]!);
      }
    }
  }
  private headers(): Record<string, string> {
    return this.cookie ? { cookie: `SLSESSION=${this.cookie}` } : {};
  }
  async get(url: string): Promise<LightMyRequestResponse> {
    const res = await this.t.app.inject({ method: 'GET', url, remoteAddress: this.ip, headers: this.headers() });
    assert.ok(res.statusCode < 500, `GET ${url}: ${res.statusCode} ${res.body}`);
    this.remember(res);
    return res;
  }
  async post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    const res = await this.t.app.inject({ method: 'POST', url, remoteAddress: this.ip, payload: new URLSearchParams(form).toString(), headers: { ...FORM, ...this.headers() } });
    assert.ok(res.statusCode < 500, `POST ${url}: ${res.statusCode} ${res.body}`);
    this.remember(res);
    return res;
  }
  /** The CSRF field of a page as it renders now. */
  async csrf(url = CART): Promise<string> {
    const page = await this.get(url);
    const m = /name="csrf" value="([0-9a-f]{64})"/.exec(page.body);
    assert.ok(m, 'page has a CSRF field');
    return m[1]!;
  }
  async sessionToken(): Promise<string> {
    const res = await this.get('/store/acme/SessionToken?format=json');
    assert.equal(res.statusCode, 200);
    return (res.json() as { session_token: string }).session_token;
  }
}
