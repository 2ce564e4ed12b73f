// npm run bench: throughput and p99 latency of Sessionlink against a bare Fastify route (the limit)
// and oidc-provider (the peer). Each server runs as its own child process on 127.0.0.1. Each ratio
// comes from runs taken by turns with its yardstick (see paired()).
// Sessionlink runs as `npm start` runs it: the default log level (info, one access line per
// request) and every default hook, its stdout going to a file as a deployed server's would (not a
// terminal, so JSON lines written in batches); only its seed raises the per-key and per-IP budgets.
// Env: BENCH_SECONDS (default 3), BENCH_CONNECTIONS (default 10), BENCH_RUNS (default 5),
// BENCH_WARMUP_SECONDS (default 2), DATABASE_URL (adds the PostgreSQL cases), BENCH_SCALE (default
// 1000000: validation and issuance again with that many live sessions in the database against
// 1,000, with the server's peak resident memory; 0 skips it), BENCH_PARTS (`cases`, `scale`, or
// both, the default, and `webhooks`: the dead-endpoint pair below), BENCH_QUIET (default 1: SQLite validation and issuance again with
// LOG_LEVEL=warn, the quiet-logging rows beside the default ones; 0 skips them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { fillSessions } from './fill.js';
import { DEMO_SEED } from '../src/domain/seed.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SECONDS = Number(process.env.BENCH_SECONDS || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 10);
const RUNS = Number(process.env.BENCH_RUNS || 5);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const SCALE = Number(process.env.BENCH_SCALE ?? 1_000_000);
/** `cases`, `scale` or both (default): which parts to run. */
const PARTS = (process.env.BENCH_PARTS ?? 'cases,scale,webhooks').split(',');
const QUIET = process.env.BENCH_QUIET !== '0';

interface Request { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string }
interface CaseResult { case: string; rps: number; p99: number; cpu: number; runs: Run[] }

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Child { proc: ChildProcess; base: string; stderr: () => string }

/**
 * `stdoutFile`: where the server's stdout goes (appended); /dev/null without one. Either way not a
 * terminal, so a Sessionlink server writes JSON lines in batches, as when deployed.
 */
async function start(args: string[], env: Record<string, string>, readyPath: string, stdoutFile?: string): Promise<Child> {
  const port = await freePort();
  // DATABASE_URL and REDIS_URL reach a server only when its case names them: the SQLite cases
  // must not inherit the PostgreSQL URL that turns the PostgreSQL cases on. Nor does the shell's
  // LOG_LEVEL or LOG_FORMAT: a server logs as `npm start` would unless its case says otherwise.
  const { DATABASE_URL: _db, REDIS_URL: _redis, SESSIONLINK_SEED: _seed, LOG_LEVEL: _level, LOG_FORMAT: _format, ...inherited } = process.env;
  const childEnv: NodeJS.ProcessEnv = { ...inherited, ...env, PORT: String(port), HOST: '127.0.0.1' };
  const out = stdoutFile === undefined ? 'ignore' : openSync(stdoutFile, 'a');
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: childEnv, stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out); // the child has its own copy
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000; // a loaded shared machine can take a minute to start a tsx server
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited ${proc.exitCode}: ${err}`);
    try {
      await fetch(base + readyPath);
      return { proc, base, stderr: () => err };
    } catch {
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`${args.join(' ')} did not start: ${err}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stop(child: Child): Promise<void> {
  if (child.proc.exitCode !== null) return;
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function cannon(base: string, req: Request, seconds: number): Promise<any> {
  return new Promise((resolve, reject) => {
    autocannon({
      url: base + req.path,
      method: req.method,
      headers: req.headers ?? {},
      body: req.body,
      connections: CONNECTIONS,
      duration: seconds
    }, (err: unknown, result: unknown) => (err ? reject(err) : resolve(result)));
  });
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number; };

interface Target { name: string; base: string; req: Request; pid: number }
/** `cpu`: the server process's CPU time (user + system, all threads) per request, µs. */
interface Run { rps: number; p99: number; cpu: number; non2xx: number; errors: number }

/** CPU time a process has used so far, ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function prepare(t: Target): Promise<void> {
  // Sanity check: the request must succeed before it is worth measuring.
  const check = await fetch(t.base + t.req.path, { method: t.req.method, headers: t.req.headers, body: t.req.body });
  if (check.status >= 300) throw new Error(`${t.name}: ${t.req.method} ${t.req.path} answered ${check.status}: ${await check.text()}`);
  if (WARMUP > 0) await cannon(t.base, t.req, WARMUP);
}

async function runOnce(t: Target): Promise<Run> {
  const c0 = cpuMs(t.pid);
  const r = await cannon(t.base, t.req, SECONDS);
  const cpu = ((cpuMs(t.pid) - c0) * 1000) / Math.max(1, r.requests.total as number);
  return { rps: r.requests.average as number, p99: r.latency.p99 as number, cpu, non2xx: r.non2xx as number, errors: (r.errors as number) + (r.timeouts as number) };
}

function summarise(name: string, runs: Run[]): CaseResult {
  const res = { case: name, rps: median(runs.map((r) => r.rps)), p99: median(runs.map((r) => r.p99)), cpu: median(runs.map((r) => r.cpu)), runs };
  const bad = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
  process.stderr.write(`  ${name}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99} ms, ${res.cpu.toFixed(0)} µs CPU/req${bad ? ` (${bad} non-2xx/errors!)` : ''}\n`);
  return res;
}

async function measure(name: string, base: string, req: Request, pid: number): Promise<CaseResult> {
  const t = { name, base, req, pid };
  await prepare(t);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runOnce(t));
  return summarise(name, runs);
}

/**
 * A case and its yardstick, run by turns (a, b, b, a, a, b, …) so that both see the same
 * machine: on a shared 2-core box the throughput of a whole phase drifts by 2x, and a ratio of
 * two phases minutes apart measures the drift. Returns both, and the median of the per-turn ratios.
 */
async function paired(a: Target, b: Target): Promise<{ a: CaseResult; b: CaseResult; ratio: number; cpuRatio: number }> {
  await prepare(a);
  await prepare(b);
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) { ra.push(await runOnce(a)); rb.push(await runOnce(b)); } else { rb.push(await runOnce(b)); ra.push(await runOnce(a)); }
  }
  const ratio = median(ra.map((r, i) => r.rps / rb[i]!.rps));
  // The same comparison by CPU: the yardstick's CPU per request over ours (> 1: we spend less).
  const cpuRatio = median(ra.map((r, i) => rb[i]!.cpu / r.cpu));
  return { a: summarise(a.name, ra), b: summarise(`${b.name} (paired with the row above)`, rb), ratio, cpuRatio };
}

// The demo site with its budgets (src/http/budgets.ts) raised: the benchmark drives one client
// IP and one API key far past the production defaults on purpose.
const BENCH_LIMIT = 1_000_000_000;
// No webhook endpoints (the demo's points at the demo storefront): the dead-endpoint pair adds one.
const BENCH_SEED = {
  sites: DEMO_SEED.sites.map((site) => ({
    ...site,
    webhooks: [] as Array<{ url: string; secret: string }>,
    limits: { newSessionsPerIP: BENCH_LIMIT, newSessionsPerSite: BENCH_LIMIT, liveAnonymousSessions: BENCH_LIMIT, apiRequestsPerKey: BENCH_LIMIT, joinsPerSession: BENCH_LIMIT, refreshesPerSession: BENCH_LIMIT }
  }))
};

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = { authorization: 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64') };

async function postForm(base: string, path: string, body: string): Promise<any> {
  const r = await fetch(base + path, { method: 'POST', headers: { ...form, ...basic }, body });
  if (!r.ok) throw new Error(`POST ${path} ${body}: ${r.status} ${await r.text()}`);
  return await r.json();
}

/** Peak resident memory of a process so far, MiB (Linux). */
function peakRssMiB(pid: number | undefined): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return Math.round(Number(line?.split(/\s+/)[1]) / 1024);
  } catch {
    return NaN;
  }
}

interface Filled { child: Child; dataDir: string; token: string; label: string }

/** A SQLite server with `sessions` live sessions already in its database. */
async function filledServer(sessions: number): Promise<Filled> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-scale-'));
  const secret = randomBytes(32).toString('hex');
  const t0 = Date.now();
  await fillSessions(dataDir, secret, sessions);
  process.stderr.write(`  (filled ${sessions} sessions in ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  writeFileSync(join(dataDir, 'seed.json'), JSON.stringify(BENCH_SEED));
  const child = await start(['src/server.ts'], { DATA_DIR: dataDir, SESSIONLINK_SECRET: secret, SESSIONLINK_SEED: join(dataDir, 'seed.json') }, '/healthz', join(dataDir, 'stdout.log'));
  const anon = await postForm(child.base, '/oauth20/token', 'grant_type=client_credentials');
  const label = sessions >= 1_000_000 ? `${sessions / 1_000_000}M` : sessions >= 1000 ? `${sessions / 1000}k` : String(sessions);
  return { child, dataDir, token: anon.access_token as string, label };
}

async function dropFilled(f: Filled): Promise<void> {
  await stop(f.child);
  recordStdout(`sqlite ${f.label} sessions`, join(f.dataDir, 'stdout.log'));
  rmSync(f.dataDir, { recursive: true, force: true });
}

interface Yardsticks { limit: Target; peer: Target }

/** What a server wrote to stdout: access lines and bytes (proof of the logging it ran with). */
const stdoutStats: Record<string, { accessLines: number; bytes: number }> = {};

function recordStdout(label: string, file: string): void {
  try {
    const text = readFileSync(file, 'utf8');
    const accessLines = text.split('\n').filter((l) => l.includes('"msg":"request completed"')).length;
    stdoutStats[label] = { accessLines, bytes: statSync(file).size };
    process.stderr.write(`  (${label}: ${accessLines} access lines, ${statSync(file).size} bytes of stdout)\n`);
  } catch {
    // no file: nothing to report
  }
}

// Every server gets a seed file, so none starts the demo storefront beside it. `allCases`: all the
// cases; otherwise validation and issuance only (the quiet-logging rows).
async function sessionlinkCases(label: string, env: Record<string, string>, y: Yardsticks, ratios: Record<string, number>, cpuRatios: Record<string, number>, allCases = true): Promise<CaseResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-bench-'));
  writeFileSync(join(dataDir, 'seed.json'), JSON.stringify(BENCH_SEED));
  const stdoutFile = join(dataDir, 'stdout.log');
  const child = await start(['src/server.ts'], { ...env, DATA_DIR: dataDir, SESSIONLINK_SEED: join(dataDir, 'seed.json') }, '/store/acme/SessionToken?format=json', stdoutFile);
  try {
    const base = child.base;
    const pid = child.proc.pid!;
    const st = await fetch(base + '/store/acme/SessionToken?format=json');
    const cookie = (st.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { session_token: sessionToken } = await st.json() as { session_token: string };
    const anon = await postForm(base, '/oauth20/token', 'grant_type=client_credentials');
    const full = await postForm(base, '/oauth20/token', 'grant_type=password&username=jane&password=Correct-Horse-9');
    const bearer = (t: string) => ({ authorization: `Bearer ${t}`, accept: 'application/json' });
    const out: CaseResult[] = [];
    const p = `sessionlink-${label}`;
    const validate = await paired({ name: `${p} validate GET /v1/shoppers/me`, base, pid, req: { method: 'GET', path: '/v1/shoppers/me', headers: bearer(anon.access_token) } }, y.limit);
    out.push(validate.a, validate.b);
    ratios[`${label} validation (shoppers/me) / limit`] = validate.ratio;
    cpuRatios[`${label} validation: limit's CPU per request / ours`] = validate.cpuRatio;
    const issue = await paired({ name: `${p} issue client_credentials`, base, pid, req: { method: 'POST', path: '/oauth20/token', headers: { ...form, ...basic }, body: 'grant_type=client_credentials' } }, y.peer);
    out.push(issue.a, issue.b);
    ratios[`${label} issuance / peer`] = issue.ratio;
    cpuRatios[`${label} issuance: peer's CPU per request / ours`] = issue.cpuRatio;
    if (!allCases) return out;
    const exchange = await paired({ name: `${p} exchange dr_session_token`, base, pid, req: { method: 'POST', path: '/oauth20/token', headers: { ...form, ...basic }, body: `grant_type=password&dr_session_token=${sessionToken}` } }, y.peer);
    out.push(exchange.a, exchange.b);
    ratios[`${label} exchange / peer`] = exchange.ratio;
    cpuRatios[`${label} exchange: peer's CPU per request / ours`] = exchange.cpuRatio;
    out.push(await measure(`${p} validate GET /oauth20/access-tokens`, base, { method: 'GET', path: '/oauth20/access-tokens', headers: bearer(anon.access_token) }, pid));
    out.push(await measure(`${p} SessionToken site action`, base, { method: 'GET', path: '/store/acme/SessionToken?format=json', headers: { cookie } }, pid));
    out.push(await measure(`${p} token info (shopper token)`, base, { method: 'GET', path: '/oauth20/access-tokens', headers: bearer(full.access_token) }, pid));
    return out;
  } finally {
    await stop(child);
    recordStdout(label, stdoutFile);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * A dead webhook endpoint: two SQLite servers, one whose site has an endpoint on a local socket that
 * accepts connections and never answers (every delivery waits out the timeout, then backs off), the
 * other with none, measured by turns. Requests that write no event (validation) and requests that
 * write one each (an external shopper's token on a new session: `session.authenticated`) should cost the same on both: the
 * request only writes the outbox row; the dispatcher sends in the background.
 */
async function deadEndpointCases(ratios: Record<string, number>, cpuRatios: Record<string, number>): Promise<CaseResult[]> {
  const held = new Set<Socket>();
  let accepted = 0;
  const silent = createServer((socket) => { accepted++; held.add(socket); socket.on('close', () => held.delete(socket)); socket.resume(); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const hook = { url: `http://127.0.0.1:${(silent.address() as { port: number }).port}/hooks`, secret: `whsec_${randomBytes(32).toString('base64')}` };
  const servers: Array<{ child: Child; dataDir: string }> = [];
  try {
    for (const webhooks of [[hook], []]) {
      const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-dead-'));
      const seed = { sites: BENCH_SEED.sites.map((site) => ({ ...site, webhooks })) };
      writeFileSync(join(dataDir, 'seed.json'), JSON.stringify(seed));
      const child = await start(['src/server.ts'], { DATA_DIR: dataDir, SESSIONLINK_SEED: join(dataDir, 'seed.json') }, '/healthz', join(dataDir, 'stdout.log'));
      servers.push({ child, dataDir });
    }
    const dead = servers[0]!;
    const none = servers[1]!;
    const target = async (c: Child, label: string, what: 'validate' | 'sign-in'): Promise<Target> => {
      if (what === 'sign-in') {
        return { name: `sessionlink-sqlite ${label}: external shopper token (writes session.authenticated)`, base: c.base, pid: c.proc.pid!, req: { method: 'POST', path: '/oauth20/token', headers: { ...form, ...basic }, body: 'grant_type=client_credentials&dr_external_reference_id=bench-shopper' } };
      }
      const anon = await postForm(c.base, '/oauth20/token', 'grant_type=client_credentials');
      return { name: `sessionlink-sqlite ${label}: validate GET /v1/shoppers/me (no event)`, base: c.base, pid: c.proc.pid!, req: { method: 'GET', path: '/v1/shoppers/me', headers: { authorization: `Bearer ${anon.access_token}`, accept: 'application/json' } } };
    };
    const out: CaseResult[] = [];
    for (const what of ['validate', 'sign-in'] as const) {
      const pair = await paired(await target(dead.child, 'dead webhook endpoint', what), await target(none.child, 'no webhook endpoint', what));
      out.push(pair.a, pair.b);
      ratios[`dead webhook endpoint / none, ${what}`] = pair.ratio;
      cpuRatios[`dead webhook endpoint, ${what}: CPU per request without / with`] = pair.cpuRatio;
    }
    process.stderr.write(`  (the silent endpoint accepted ${accepted} delivery connection(s), ${held.size} still open)\n`);
    return out;
  } finally {
    for (const s of servers) {
      await stop(s.child);
      rmSync(s.dataDir, { recursive: true, force: true });
    }
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
}

async function main(): Promise<void> {
  process.stderr.write(`bench: ${RUNS} runs x ${SECONDS}s, ${CONNECTIONS} connections, warm-up ${WARMUP}s\n`);
  const results: CaseResult[] = [];
  const ratios: Record<string, number> = {};
  const cpuRatios: Record<string, number> = {};
  const scale: Record<string, number> = {};
  // The yardsticks run (idle) the whole time, so each case is measured by turns with its own.
  const bare = PARTS.includes('cases') ? await start(['bench/bare-server.ts'], {}, '/') : null;
  const peer = PARTS.includes('cases') ? await start(['bench/peer-server.ts'], {}, '/.well-known/openid-configuration') : null;
  if (bare !== null && peer !== null) try {
    const y: Yardsticks = {
      limit: { name: 'limit: bare Fastify GET /', base: bare.base, pid: bare.proc.pid!, req: { method: 'GET', path: '/' } },
      peer: { name: 'peer: oidc-provider client_credentials', base: peer.base, pid: peer.proc.pid!, req: { method: 'POST', path: '/token', headers: { ...form, ...basic }, body: 'grant_type=client_credentials' } }
    };
    results.push(...await sessionlinkCases('sqlite', {}, y, ratios, cpuRatios));
    if (QUIET) results.push(...await sessionlinkCases('sqlite-quiet', { LOG_LEVEL: 'warn' }, y, ratios, cpuRatios, false));
    if (process.env.DATABASE_URL) results.push(...await sessionlinkCases('postgres', { DATABASE_URL: process.env.DATABASE_URL }, y, ratios, cpuRatios));
    else process.stderr.write('  (DATABASE_URL unset: PostgreSQL cases skipped)\n');
  } finally {
    await stop(bare);
    await stop(peer);
  }
  if (PARTS.includes('webhooks')) results.push(...await deadEndpointCases(ratios, cpuRatios));
  if (SCALE > 0 && PARTS.includes('scale')) {
    // Both databases are served at once (the idle one costs nothing) and measured by turns.
    const small = await filledServer(1000);
    const large = await filledServer(SCALE);
    try {
      const me = (f: Filled): Target => ({ name: `sessionlink-sqlite ${f.label} sessions: validate GET /v1/shoppers/me`, base: f.child.base, pid: f.child.proc.pid!, req: { method: 'GET', path: '/v1/shoppers/me', headers: { authorization: `Bearer ${f.token}`, accept: 'application/json' } } });
      const issue = (f: Filled): Target => ({ name: `sessionlink-sqlite ${f.label} sessions: issue client_credentials`, base: f.child.base, pid: f.child.proc.pid!, req: { method: 'POST', path: '/oauth20/token', headers: { ...form, ...basic }, body: 'grant_type=client_credentials' } });
      const v = await paired(me(large), me(small));
      const i = await paired(issue(large), issue(small));
      results.push(v.a, v.b, i.a, i.b);
      scale[`validation ${large.label} / ${small.label} sessions`] = v.ratio;
      scale[`issuance ${large.label} / ${small.label} sessions`] = i.ratio;
      scale[`peak RSS MiB, ${small.label} sessions`] = peakRssMiB(small.child.proc.pid);
      scale[`peak RSS MiB, ${large.label} sessions`] = peakRssMiB(large.child.proc.pid);
    } finally {
      await dropFilled(small);
      await dropFilled(large);
    }
  }

  const w = Math.max(...results.map((r) => r.case.length));
  const lines = [`| ${'case'.padEnd(w)} | req/s (median) | p99 ms | CPU µs/req |`, `|${'-'.repeat(w + 2)}|---------------:|-------:|-----------:|`];
  for (const r of results) lines.push(`| ${r.case.padEnd(w)} | ${r.rps.toFixed(0).padStart(14)} | ${String(r.p99).padStart(6)} | ${r.cpu.toFixed(0).padStart(10)} |`);
  lines.push('');
  for (const [k, v] of Object.entries(ratios)) lines.push(`${k}: ${v.toFixed(2)}x`);
  for (const [k, v] of Object.entries(cpuRatios)) lines.push(`${k}: ${v.toFixed(2)}x`);
  for (const [k, v] of Object.entries(scale)) lines.push(`${k}: ${k.startsWith('peak') ? v : v.toFixed(2) + 'x'}`);
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'latest.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model,
    seconds: SECONDS, connections: CONNECTIONS, runs: RUNS, warmupSeconds: WARMUP, results, ratios, cpuRatios, scale, stdout: stdoutStats
  }, null, 2) + '\n');
}

main().catch((err: unknown) => { process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
