import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import * as oauth from 'oauth4webapi';
import { freePort } from '../process/server-process.js';
import { BACKENDS, openTestApp, type TestApp } from '../support/helpers.js';
import { orderThroughHostedPages, RETURN_SEED, RETURN_URL, SHOP } from '../support/return-trip.js';

/**
 * The return code of the way back, redeemed by a standard OAuth 2.0 library nobody here wrote
 * (oauth4webapi: discovery, the authorization response, the authorization-code grant request and
 * its response processing), over a real socket.
 */
for (const backend of BACKENDS) {
describe(`oauth4webapi redeems the way back's code over a real socket [${backend}]`, () => {
  let built: TestApp;
  let app: FastifyInstance;
  let base: string;
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const client: oauth.Client = { client_id: 'acme-app' };

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    built = await openTestApp({ backend, seed: RETURN_SEED, now: Date.now, config: { publicApiURL: base } });
    app = built.app;
    await app.listen({ port, host: '127.0.0.1' });
  });
  after(async () => { await built.close(); });

  async function discover(): Promise<oauth.AuthorizationServer> {
    const issuer = new URL(base);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    assert.ok(as.grant_types_supported?.includes('authorization_code'));
    return as;
  }

  it('redeems the code of the thank-you link for a full pair on the signed-in shopper\'s session', async () => {
    const as = await discover();
    const redirectUri = `${SHOP}/checkout/done?from=sessionlink`;
    const trip = await orderThroughHostedPages(app, { signedIn: true, returnUrl: redirectUri });
    // The app's page receives the browser at the link; the library reads the callback parameters.
    const callback = oauth.validateAuthResponse(as, client, trip.link, oauth.skipStateCheck);
    assert.equal(callback.get('order'), trip.orderId);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic('app-secret-123'), callback, redirectUri, oauth.nopkce, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.refresh_token);
    const order = await fetch(`${base}/v1/shoppers/me/orders/${trip.orderId}`, { headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' } });
    assert.equal(order.status, 200, 'a full token: it reads the order just placed');

    // The same code again: the library surfaces RFC 6749 §5.2 invalid_grant.
    await assert.rejects(async () => {
      await oauth.processAuthorizationCodeResponse(as, client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic('app-secret-123'), callback, redirectUri, oauth.nopkce, insecure));
    }, (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant' && err.status === 400);
  });

  it('a guest\'s code gives a limited pair; another redirect_uri is invalid_grant', async () => {
    const as = await discover();
    const trip = await orderThroughHostedPages(app);
    const callback = oauth.validateAuthResponse(as, client, trip.link, oauth.skipStateCheck);
    await assert.rejects(async () => {
      await oauth.processAuthorizationCodeResponse(as, client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic('app-secret-123'), callback, `${SHOP}/elsewhere`, oauth.nopkce, insecure));
    }, (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost('app-secret-123'), callback, RETURN_URL, oauth.nopkce, insecure));
    const info = await fetch(`${base}/oauth20/access-tokens`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(((await info.json()) as { authenticated: string }).authenticated, 'false');
  });
});
}
