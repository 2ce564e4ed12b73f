import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopServer } from './server-process.js';

test('info-level logs of a real process carry no token, cookie, password or secret used in the run', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-logs-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.after(async () => await stopServer(server));
  const url = server.url;
  const basic = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
  const site = await fetch(`${url}/store/acme/SessionToken?format=json`);
  const cookie = /SLSESSION=([0-9a-f]+)/.exec(site.headers.get('set-cookie') ?? '')![1]!;
  const { session_token } = await site.json() as { session_token: string };
  const exchange = await fetch(`${url}/oauth20/token?grant_type=password&dr_session_token=${session_token}`, { method: 'POST', headers: { authorization: basic } });
  const pair = await exchange.json() as { access_token: string; refresh_token: string };
  const login = await fetch(`${url}/oauth20/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=jane&password=Other-Secret-77&client_id=acme-app&client_secret=app-secret-123' });
  assert.equal(login.status, 400);
  await fetch(`${url}/oauth20/access-tokens?token=${pair.access_token}`);
  await fetch(`${url}/oauth20/token?refresh_token=${pair.refresh_token}&grant_type=refresh_token`, { method: 'POST', headers: { authorization: basic } });
  await fetch(`${url}/store/acme/SessionToken?format=json`, { headers: { cookie: `SLSESSION=${cookie}` } });
  await new Promise((r) => setTimeout(r, 300));
  const output = server.output();
  assert.match(output, /oauth20\/access-tokens\?token=\[redacted\]/, 'requests are logged, with secrets redacted');
  for (const secret of [session_token, cookie, pair.access_token, pair.refresh_token, 'Other-Secret-77', basic.slice(6)]) {
    assert.ok(!output.includes(secret), `a secret reached the logs: ${secret.slice(0, 8)}…`);
  }
});
