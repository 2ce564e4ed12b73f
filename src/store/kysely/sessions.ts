import { Prepared } from '../prepared.js';
import { insertSession } from '../token-writes.js';
import type { Executor, SessionRow } from '../rows.js';
import { atomically } from './atomically.js';
import type { HandleRow, HandleSessionRow, SessionStore, SessionTouch } from '../port/sessions.js';

const handleExists = new Prepared<{ hash: string }, { epoch: number }>((db, $) =>
  db.selectFrom('handles').select('epoch').where('hash', '=', $('hash')));

const insertHandle = new Prepared<HandleRow, never>((db, $) => db.insertInto('handles').values({
  hash: $('hash'), session_id: $('session_id'), kind: $('kind'), epoch: $('epoch'), created_at: $('created_at')
}).onConflict((oc) => oc.column('hash').doNothing()));

const resolveQuery = new Prepared<{ hash: string }, HandleSessionRow>((db, $) =>
  db.selectFrom('handles')
    .innerJoin('sessions', 'sessions.id', 'handles.session_id')
    .selectAll('sessions')
    .select(['handles.epoch as handle_epoch', 'handles.kind as handle_kind'])
    .where('handles.hash', '=', $('hash')));

const touchQuery = new Prepared<SessionTouch, never>((db, $) =>
  db.updateTable('sessions').set({ last_used_at: $('now'), expires_at: $('expires_at'), client_ip: $('client_ip') })
    .where('id', '=', $('id')).where('expires_at', '>', $('now')));

const getQuery = new Prepared<{ id: string }, SessionRow>((db, $) => db.selectFrom('sessions').selectAll().where('id', '=', $('id')));

const addressQuery = new Prepared<{ id: string }, { client_ip: string | null; ip: string | null }>((db, $) =>
  db.selectFrom('sessions').select(['client_ip', 'ip']).where('id', '=', $('id')));

const countLiveAnonymousQuery = new Prepared<{ site: string; now: number }, { n: number }>((db, $) =>
  db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('site_id', '=', $('site')).where('shopper_id', 'is', null).where('expires_at', '>', $('now')));

const cartOfQuery = new Prepared<{ id: string }, { cart_id: string; epoch: number }>((db, $) =>
  db.selectFrom('sessions').select(['cart_id', 'epoch']).where('id', '=', $('id')));

/** Sessions and handles on Kysely, both dialects. */
export class KyselySessions implements SessionStore {
  constructor(protected readonly db: Executor) {}

  async insert(session: SessionRow): Promise<boolean> {
    return await insertSession.run(this.db, session) === 1;
  }

  async get(id: string): Promise<SessionRow | null> {
    return (await getQuery.first(this.db, { id })) ?? null;
  }

  async addHandle(handle: HandleRow): Promise<void> {
    await insertHandle.run(this.db, handle);
  }

  async heldByBrowser(sessionId: string): Promise<boolean> {
    return (await this.db.selectFrom('handles').select('kind').where('session_id', '=', sessionId).limit(1).executeTakeFirst()) !== undefined;
  }

  async hasHandle(hash: string): Promise<boolean> {
    return await handleExists.first(this.db, { hash }) !== undefined;
  }

  async findHandle(hash: string): Promise<HandleSessionRow | null> {
    return (await resolveQuery.first(this.db, { hash })) ?? null;
  }

  async touch(touch: SessionTouch, afterRun?: (changed: boolean) => void): Promise<boolean> {
    let changed = false;
    await touchQuery.run(this.db, touch, { afterRun: (changes) => { changed = changes > 0; afterRun?.(changed); } });
    return changed;
  }

  async rekey(id: string, fromEpoch: number, shopperId: string, clientIp: string | null): Promise<boolean> {
    const updated = await this.db.updateTable('sessions').set({ epoch: fromEpoch + 1, shopper_id: shopperId, client_ip: clientIp })
      .where('id', '=', id).where('epoch', '=', fromEpoch).executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async end(id: string, now: number): Promise<boolean> {
    return await atomically(this.db, async (trx) => {
      const session = await getQuery.first(trx, { id });
      if (session === undefined) return false;
      if (session.expires_at > now) {
        await trx.updateTable('sessions').set({ expires_at: now }).where('id', '=', id).execute();
      }
      await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
        .where('session_id', '=', id).where('revoked_reason', 'is', null).execute();
      return true;
    });
  }

  async sweep(cutoff: number, now: number): Promise<number> {
    return await atomically(this.db, async (trx) => {
      const dead = trx.selectFrom('sessions').select('id').where('expires_at', '<', cutoff);
      await trx.deleteFrom('handles').where('session_id', 'in', dead).execute();
      await trx.deleteFrom('access_tokens').where('session_id', 'in', dead).execute();
      await trx.deleteFrom('line_items').where('cart_id', 'in',
        trx.selectFrom('carts').select('id').where('session_id', 'in', dead).where('status', '!=', 'submitted')
          .where('shopper_id', 'is', null)).execute();
      await trx.deleteFrom('carts').where('session_id', 'in', dead).where('status', '!=', 'submitted')
        .where('shopper_id', 'is', null).execute();
      await trx.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute();
      // A refresh token of an ended session can only answer "Session expired" — unless it is a
      // signed-in shopper's full token, which continues on a new session until its own expiry.
      await trx.deleteFrom('refresh_tokens').where('session_id', 'in', dead)
        .where((eb) => eb.or([eb('kind', '!=', 'full'), eb('shopper_id', 'is', null), eb('revoked_reason', 'is not', null)]))
        .execute();
      await trx.deleteFrom('handoff_codes').where('expires_at', '<', now).execute();
      await trx.deleteFrom('counters').where('expires_at', '<', now).execute();
      const result = await trx.deleteFrom('sessions').where('expires_at', '<', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async address(id: string): Promise<{ client_ip: string | null; ip: string | null } | null> {
    return (await addressQuery.first(this.db, { id })) ?? null;
  }

  async saveSettings(id: string, settings: { locale: string; currency: string; ip: string | null }): Promise<void> {
    await this.db.updateTable('sessions').set(settings).where('id', '=', id).execute();
  }

  async countLive(now: number): Promise<number> {
    const row = await this.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('expires_at', '>', now).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async countLiveAnonymous(siteId: string, now: number): Promise<number> {
    const [row] = await countLiveAnonymousQuery.background(this.db, { site: siteId, now });
    return Number(row?.n ?? 0);
  }

  async cartOf(id: string): Promise<{ cart_id: string; epoch: number } | null> {
    return (await cartOfQuery.first(this.db, { id })) ?? null;
  }

  async moveCart(id: string, fromCartId: string, toCartId: string): Promise<boolean> {
    const moved = await this.db.updateTable('sessions').set({ cart_id: toCartId })
      .where('id', '=', id).where('cart_id', '=', fromCartId).executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  }
}
