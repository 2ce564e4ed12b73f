// Development aid (bench/cpu-per-request.ts `floor`): the least a durable anonymous grant can cost
// here. Bare Fastify + formbody, the same three rows and eleven B-trees as Sessionlink's grant
// (tables and indexes of migrations 0001-0002), two HMACs, one savepoint per request inside a
// group commit over two event-loop turns, answered after COMMIT. No client authentication,
// budgets, metrics or error handling. FLOOR_NO_WRITES=1 leaves the inserts out.
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import SQLite from 'better-sqlite3';
import { randomBytes, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'sl-floor-'));
const db = new SQLite(join(dir, 'floor.db'));
db.pragma('journal_mode=WAL'); db.pragma('synchronous=NORMAL'); db.pragma('wal_autocheckpoint=0');
db.exec(`create table if not exists s(id text primary key, site text, shopper text, epoch int, locale text, currency text, ip text, cart text, c int, u int, e int); create index if not exists s_e on s(e);
 create table if not exists t(h text primary key, s text, site text, k text, kind text, epoch int, ch text, c int, r text); create index if not exists t_s on t(s);
 create table if not exists r(h text primary key, s text, site text, k text, kind text, epoch int, ch text, ah text, sh text, c int, e int, sp int, rr text); create index if not exists r_ch on r(ch); create index if not exists r_s on r(s); create index if not exists r_e on r(e);`);
const i1 = db.prepare('insert into s values (?,?,?,?,?,?,?,?,?,?,?) on conflict do nothing'), i2 = db.prepare('insert into t values (?,?,?,?,?,?,?,?,?) on conflict do nothing'), i3 = db.prepare('insert into r values (?,?,?,?,?,?,?,?,?,?,?,?,?) on conflict do nothing');
let group: Array<() => void> | null = null;
const app = Fastify();
await app.register(formbody);
app.post('/token', async (req, reply) => {
  const now = Date.now(); const p = now.toString(16).padStart(12, '0');
  const sid = p + randomBytes(16).toString('hex'), at = p + randomBytes(32).toString('hex'), rt = p + randomBytes(48).toString('hex');
  const ah = p + createHmac('sha256', 'k').update(at).digest('base64url'), rh = p + createHmac('sha256', 'k').update(rt).digest('base64url');
  if (group === null) { db.exec('BEGIN'); group = []; setImmediate(() => setImmediate(() => { db.exec('COMMIT'); const g = group!; group = null; for (const f of g) f(); })); }
  db.exec('SAVEPOINT x');
  if (!process.env.FLOOR_NO_WRITES) i1.run(sid, 'acme', null, 0, 'en_US', 'USD', '127.0.0.1', sid, now, now, now + 86400000);
  if (!process.env.FLOOR_NO_WRITES) i2.run(ah, sid, 'acme', 'acme-app', 'limited', 0, sid, now, null);
  if (!process.env.FLOOR_NO_WRITES) i3.run(rh, sid, 'acme', 'acme-app', 'limited', 0, sid, ah, null, now, now + 86400000, null, null);
  db.exec('RELEASE x');
  await new Promise<void>((r) => group!.push(r));
  reply.header('cache-control', 'no-store');
  return { access_token: at, token_type: 'bearer', expires_in: 86400, refresh_token: rt };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => { db.close(); rmSync(dir, { recursive: true, force: true }); process.exit(0); });
