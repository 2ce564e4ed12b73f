// Development aid, not the benchmark: the server process's CPU time per request over a real
// socket (user + system from /proc, all its threads), for the bare route, the peer, `floor`
// (bench/floor-server.ts, only when named) and each Sessionlink case.
// CPU per request moves far less than req/s when the machine is shared, so it shows whether a
// change helped. Usage: tsx bench/cpu-per-request.ts [case,case]; CPU_SECONDS (default 4);
// CPU_PROF=1 writes a --cpu-prof of each Sessionlink server into /tmp/sl-prof; CPU_LOG_LEVEL sets
// Sessionlink's LOG_LEVEL (default: none, the server's default, as `npm start` runs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { DEMO_SEED } from '../src/domain/seed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.CPU_SECONDS || 4);
const only = process.argv[2]?.split(',');
const TICK = 100; // USER_HZ

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / TICK);
}

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

async function start(args: string[], env: Record<string, string>, ready: string): Promise<{ proc: ChildProcess; base: string }> {
  const port = await freePort();
  const { DATABASE_URL: _d, REDIS_URL: _r, SESSIONLINK_SEED: _s, LOG_LEVEL: _l, LOG_FORMAT: _f, ...inherited } = process.env;
  const proc = spawn(process.execPath, [...(process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sl-prof'] : []), '--import', 'tsx', ...args], {
    cwd: root, env: { ...inherited, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'inherit']
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { await fetch(base + ready); return { proc, base }; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error('server did not start');
}

async function load(base: string, req: { method: string; path: string; headers?: Record<string, string>; body?: string }, seconds: number): Promise<{ requests: number; non2xx: number }> {
  return await new Promise((resolve, reject) => autocannon({ url: base + req.path, method: req.method, headers: req.headers ?? {}, body: req.body, connections: 10, duration: seconds },
    (err: unknown, r: any) => (err ? reject(err) : resolve({ requests: r.requests.total, non2xx: r.non2xx }))));
}

async function perRequest(name: string, pid: number, base: string, req: Parameters<typeof load>[1]): Promise<void> {
  await load(base, req, 1);
  const c0 = cpuMs(pid);
  const r = await load(base, req, SECONDS);
  const used = cpuMs(pid) - c0;
  console.log(`${name.padEnd(22)} ${((used * 1000) / r.requests).toFixed(1).padStart(7)} µs CPU/req  ${(r.requests / SECONDS).toFixed(0).padStart(6)} req/s${r.non2xx ? `  ${r.non2xx} non-2xx!` : ''}`);
}

const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64') };
const LIMIT = 1_000_000_000;
const seed = { sites: DEMO_SEED.sites.map((s) => ({ ...s, limits: { newSessionsPerIP: LIMIT, newSessionsPerSite: LIMIT, liveAnonymousSessions: LIMIT, apiRequestsPerKey: LIMIT, joinsPerSession: LIMIT, refreshesPerSession: LIMIT } })) };

if (!only || only.includes('bare')) {
  const bare = await start(['bench/bare-server.ts'], {}, '/');
  await perRequest('bare', bare.proc.pid!, bare.base, { method: 'GET', path: '/' });
  bare.proc.kill('SIGTERM');
}
if (only?.includes('floor')) {
  const floor = await start(['bench/floor-server.ts'], {}, '/token');
  await perRequest('floor', floor.proc.pid!, floor.base, { method: 'POST', path: '/token', headers: { ...form }, body: 'grant_type=client_credentials' });
  floor.proc.kill('SIGTERM');
}
if (!only || only.includes('peer')) {
  const peer = await start(['bench/peer-server.ts'], {}, '/.well-known/openid-configuration');
  await perRequest('peer', peer.proc.pid!, peer.base, { method: 'POST', path: '/token', headers: { ...form }, body: 'grant_type=client_credentials' });
  peer.proc.kill('SIGTERM');
}
const dir = mkdtempSync(join(tmpdir(), 'sl-cpu-'));
writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
const env: Record<string, string> = { DATA_DIR: dir, SESSIONLINK_SEED: join(dir, 'seed.json') };
if (process.env.CPU_LOG_LEVEL) env.LOG_LEVEL = process.env.CPU_LOG_LEVEL;
if (process.env.CPU_DATABASE_URL) env.DATABASE_URL = process.env.CPU_DATABASE_URL;
const sl = await start(['src/server.ts'], env, '/healthz');
const post = async (body: string): Promise<any> => (await fetch(sl.base + '/oauth20/token', { method: 'POST', headers: form, body })).json();
const st = await fetch(sl.base + '/store/acme/SessionToken?format=json');
const cookie = (st.headers.get('set-cookie') ?? '').split(';')[0]!;
const sessionToken = ((await st.json()) as { session_token: string }).session_token;
const anon = await post('grant_type=client_credentials');
const bearer = { authorization: `Bearer ${anon.access_token}`, accept: 'application/json' };
const cases: Record<string, Parameters<typeof load>[1]> = {
  me: { method: 'GET', path: '/v1/shoppers/me', headers: bearer },
  info: { method: 'GET', path: '/oauth20/access-tokens', headers: bearer },
  issue: { method: 'POST', path: '/oauth20/token', headers: form, body: 'grant_type=client_credentials' },
  exchange: { method: 'POST', path: '/oauth20/token', headers: form, body: `grant_type=password&dr_session_token=${sessionToken}` },
  action: { method: 'GET', path: '/store/acme/SessionToken?format=json', headers: { cookie } }
};
for (const [name, req] of Object.entries(cases)) {
  if (!only || only.includes(name)) await perRequest(name, sl.proc.pid!, sl.base, req);
}
const exited = new Promise((r) => sl.proc.once('exit', r));
sl.proc.kill('SIGTERM');
await exited;
rmSync(dir, { recursive: true, force: true });
