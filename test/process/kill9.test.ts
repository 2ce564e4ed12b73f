import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopServer } from './server-process.js';

const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');

async function token(url: string, body: string): Promise<{ access_token: string; refresh_token: string }> {
  const res = await fetch(`${url}/oauth20/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body });
  assert.equal(res.status, 200);
  return await res.json() as { access_token: string; refresh_token: string };
}

test('kill -9 right after the answers: every acknowledged session, token and rotation survives a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-kill9-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startServer({ DATA_DIR: dataDir });
  let second: Awaited<ReturnType<typeof startServer>> | undefined;
  t.after(async () => { await stopServer(first); if (second) await stopServer(second); });

  const site = await fetch(`${first.url}/store/acme/SessionToken?format=json`);
  const cookie = /SLSESSION=([0-9a-f]+)/.exec(site.headers.get('set-cookie') ?? '')![1]!;
  const { session_token } = await site.json() as { session_token: string };
  const joined = await token(first.url, `grant_type=password&dr_session_token=${session_token}`);
  const guest = await token(first.url, 'grant_type=client_credentials');
  const rotated = await token(first.url, `grant_type=refresh_token&refresh_token=${guest.refresh_token}`);
  const login = await token(first.url, 'grant_type=password&username=jane&password=Correct-Horse-9');
  const revoke = await fetch(`${first.url}/oauth20/access-tokens`, { method: 'DELETE', headers: { authorization: `Bearer ${login.access_token}` } });
  assert.equal(revoke.status, 200);
  await stopServer(first, 'SIGKILL');

  second = await startServer({ DATA_DIR: dataDir });
  const info = async (access: string): Promise<Response> => await fetch(`${second!.url}/oauth20/access-tokens`, { headers: { authorization: `Bearer ${access}` } });
  assert.equal((await info(joined.access_token)).status, 200);
  assert.equal((await info(rotated.access_token)).status, 200);
  const revoked = await info(login.access_token);
  assert.equal(revoked.status, 401);
  assert.equal((await revoked.json() as { error_description: string }).error_description, 'Token revoked');
  const again = await fetch(`${second.url}/store/acme/SessionToken?format=json`, { headers: { cookie: `SLSESSION=${cookie}` } });
  assert.equal((await again.json() as { session_token: string }).session_token, session_token, 'the cookie still names the same session');
  // The spent refresh token is still spent: a replay within grace returns the same pair.
  const replay = await fetch(`${second.url}/oauth20/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${guest.refresh_token}` });
  assert.equal((await replay.json() as { access_token: string }).access_token, rotated.access_token);
  // No token reached the logs (the demo banner prints only the demo seed's own keys).
  for (const secret of [session_token, cookie, joined.access_token, guest.refresh_token, rotated.refresh_token, login.access_token]) {
    assert.ok(!first.output().includes(secret) && !second.output().includes(secret), 'a secret reached the output');
  }
});
