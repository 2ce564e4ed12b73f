// Development aid, not the benchmark: CPU microseconds per request of each hot path, measured
// in-process with Fastify's inject (no sockets), so it is usable on a busy machine.
// Usage: tsx bench/inject-profile.ts [case,case] ; PROFILE_N (default 3000), PROFILE_SESSIONS.
// Sessionlink logs as `npm start` runs it (PROFILE_LOG_LEVEL, default info: one access line per
// request), its JSON lines going through the same asynchronous destination to /dev/null.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/store/open.js';
import { DEMO_SEED, loadSeed } from '../src/domain/seed.js';
import { LOG_BUFFER_BYTES } from '../src/logging.js';
import { LOG_REDACT, LOG_SERIALIZERS } from '../src/http/redact.js';

const N = Number(process.env.PROFILE_N || 3000);
const CONCURRENCY = 10;
type Inject = Parameters<ReturnType<typeof Fastify>['inject']>[0];

async function measure(name: string, app: { inject: (o: Inject) => Promise<{ statusCode: number; body: string }> }, req: Inject): Promise<void> {
  const best: number[] = [];
  for (let round = 0; round < 3; round++) {
    let next = 0;
    let bad = 0;
    const c0 = process.cpuUsage();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) {
        const r = await app.inject(req);
        if (r.statusCode >= 300) { bad++; if (bad === 1) console.error(name, r.statusCode, r.body); }
      }
    }));
    const c = process.cpuUsage(c0);
    best.push((c.user + c.system) / N);
    if (bad) console.error(`${name}: ${bad} bad answers`);
  }
  console.log(`${name.padEnd(26)} ${Math.min(...best).toFixed(1).padStart(7)} µs/req (rounds ${best.map((b) => b.toFixed(0)).join(', ')})`);
}

const only = process.argv[2]?.split(',');
const bare = Fastify();
bare.get('/', async () => ({ hello: 'world' }));
await bare.ready();
if (!only || only.includes('bare')) await measure('bare', bare, { method: 'GET', url: '/' });

const dir = mkdtempSync(join(tmpdir(), 'sl-inject-'));
const config = loadConfig({ ...process.env, DATA_DIR: dir, LOG_LEVEL: 'warn' }, []);
const db = await openStore({ databaseURL: process.env.DATABASE_URL ?? null, dataDir: dir });
const level = process.env.PROFILE_LOG_LEVEL ?? 'info';
const stream = pino.destination({ dest: '/dev/null', sync: false, minLength: LOG_BUFFER_BYTES });
const app = await buildApp({ config, store: db, logger: { level, serializers: LOG_SERIALIZERS, redact: LOG_REDACT, stream } });
// The benchmark's budgets: one client IP and key far past the production defaults, on purpose.
const LIMIT = 1_000_000_000;
await loadSeed(app.ctx, { sites: DEMO_SEED.sites.map((s) => ({ ...s, limits: { newSessionsPerIP: LIMIT, newSessionsPerSite: LIMIT, liveAnonymousSessions: LIMIT, apiRequestsPerKey: LIMIT, joinsPerSession: LIMIT, refreshesPerSession: LIMIT } })) });
await app.ready();
const basic = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
const st = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
const cookie = String(st.headers['set-cookie']).split(';')[0] as string;
const sessionToken = JSON.parse(st.body).session_token as string;
const anon = JSON.parse((await app.inject({ method: 'POST', url: '/oauth20/token', headers: form, payload: 'grant_type=client_credentials' })).body);
const bearer = { authorization: `Bearer ${anon.access_token}`, accept: 'application/json' };
const cases: Record<string, Inject> = {
  me: { method: 'GET', url: '/v1/shoppers/me', headers: bearer },
  info: { method: 'GET', url: '/oauth20/access-tokens', headers: bearer },
  issue: { method: 'POST', url: '/oauth20/token', headers: form, payload: 'grant_type=client_credentials' },
  exchange: { method: 'POST', url: '/oauth20/token', headers: form, payload: `grant_type=password&dr_session_token=${sessionToken}` },
  action: { method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { cookie } }
};
for (const [k, req] of Object.entries(cases)) {
  if (!only || only.includes(k)) await measure(k, app, req);
}
await app.close();
rmSync(dir, { recursive: true, force: true });
