// Fills a fresh SQLite data directory with `count` live anonymous sessions, each with the rows a
// token grant leaves (an access and a refresh token), as a server that has been busy would have.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { prefixedKey } from '../src/crypto.js';
import { openStore } from '../src/store/open.js';
import { loadSeed, DEMO_SEED } from '../src/domain/seed.js';

export async function fillSessions(dataDir: string, secret: string, count: number): Promise<void> {
  // Migrations and the demo site exactly as the server makes them.
  const db = await openStore({ databaseURL: null, dataDir });
  await loadSeed({ store: db, secret, now: Date.now }, DEMO_SEED);
  await db.close();

  const sqlite = new SQLite(join(dataDir, 'sessionlink.db'));
  sqlite.pragma('synchronous = OFF');
  const session = sqlite.prepare(`INSERT INTO sessions (id, site_id, shopper_id, epoch, locale, currency, ip, cart_id, created_at, last_used_at, expires_at)
    VALUES (?, 'acme', NULL, 0, 'en_US', 'USD', NULL, ?, ?, ?, ?)`);
  const access = sqlite.prepare(`INSERT INTO access_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, created_at, revoked_reason)
    VALUES (?, ?, 'acme', 'acme-app', 'limited', 0, ?, ?, NULL)`);
  const refresh = sqlite.prepare(`INSERT INTO refresh_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, access_hash, shopper_id, created_at, expires_at, spent_at, revoked_reason)
    VALUES (?, ?, 'acme', 'acme-app', 'limited', 0, ?, ?, NULL, ?, ?, NULL, NULL)`);
  const start = Date.now() - 3600_000;
  const batch = 20_000;
  for (let done = 0; done < count; done += batch) {
    sqlite.transaction(() => {
      const random = randomBytes(Math.min(batch, count - done) * (10 + 10 + 10 + 32 + 48));
      let offset = 0;
      const take = (n: number): Buffer => { const b = random.subarray(offset, offset + n); offset += n; return b; };
      for (let i = done; i < Math.min(done + batch, count); i++) {
        // Spread over the last hour, in order, as sortableId() makes them.
        const created = start + Math.floor((i / count) * 3600_000);
        const prefix = created.toString(16).padStart(12, '0');
        const id = prefix + take(10).toString('hex');
        const chain = prefix + take(10).toString('hex');
        const cart = prefix + take(10).toString('hex');
        const a = prefixedKey(secret, 'access_token', prefix + take(32).toString('hex'));
        session.run(id, cart, created, created, created + 86_400_000);
        access.run(a, id, chain, created);
        refresh.run(prefixedKey(secret, 'refresh_token', prefix + take(48).toString('hex')), id, chain, a, created, created + 31_536_000_000);
      }
    })();
  }
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
}
