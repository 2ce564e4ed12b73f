import type { Executor } from '../rows.js';
import type { HandoffRow, HandoffSessionRow, HandoffStore, SeedKind, SeedLogEntry, SeedStore, SeedWrite } from '../port/setup.js';
import { atomically } from './atomically.js';
import { deleteSiteWebhooks, insertEndpoint } from '../webhooks.js';

async function applyOne(trx: Executor, write: SeedWrite): Promise<void> {
  switch (write.kind) {
    case 'site': {
      const { id: _id, ...update } = write.row;
      await trx.insertInto('sites').values(write.row)
        .onConflict((oc) => write.replace ? oc.column('id').doUpdateSet(update) : oc.column('id').doNothing()).execute();
      return;
    }
    case 'key': {
      const { key: _k, ...update } = write.row;
      await trx.insertInto('api_keys').values(write.row)
        .onConflict((oc) => write.replace ? oc.column('key').doUpdateSet(update) : oc.column('key').doNothing()).execute();
      return;
    }
    case 'product': {
      const { name, price } = write.row;
      await trx.insertInto('products').values(write.row)
        .onConflict((oc) => write.replace ? oc.columns(['site_id', 'id']).doUpdateSet({ name, price }) : oc.columns(['site_id', 'id']).doNothing())
        .execute();
      return;
    }
    case 'shopper': {
      const { first_name, last_name, email } = write.row;
      await trx.insertInto('shoppers').values(write.row)
        .onConflict((oc) => write.replace ? oc.columns(['site_id', 'username']).doUpdateSet({ first_name, last_name, email }) : oc.columns(['site_id', 'username']).doNothing())
        .execute();
      return;
    }
    case 'webhook':
      await insertEndpoint(trx, write.row, write.replace ? 'update' : 'nothing');
  }
}

export class KyselySeed implements SeedStore {
  constructor(protected readonly db: Executor) {}

  async log(): Promise<Array<{ kind: SeedKind; id: string; digest: string }>> {
    return await this.db.selectFrom('seed_log').select(['kind', 'id', 'digest']).execute();
  }

  async siteMark(siteId: string): Promise<{ demo: number } | null> {
    return (await this.db.selectFrom('seed_log').select('demo').where('kind', '=', 'site').where('id', '=', siteId).executeTakeFirst()) ?? null;
  }

  async mentions(siteId: string): Promise<boolean> {
    return await this.db.selectFrom('seed_log').select('id').where('site_id', '=', siteId).executeTakeFirst() !== undefined;
  }

  async demoSites(): Promise<string[]> {
    return (await this.db.selectFrom('seed_log').select('id').where('kind', '=', 'site').where('demo', '=', 1).execute()).map((r) => r.id);
  }

  async apply(writes: Array<{ write: SeedWrite; entry: SeedLogEntry }>): Promise<void> {
    await atomically(this.db, async (trx) => {
      for (const { write, entry } of writes) {
        await applyOne(trx, write);
        const { kind: _k, id: _i, ...update } = entry;
        await trx.insertInto('seed_log').values(entry).onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet(update)).execute();
      }
    });
  }

  async removeSite(id: string): Promise<void> {
    await atomically(this.db, async (trx) => {
      const sessions = trx.selectFrom('sessions').select('id').where('site_id', '=', id);
      await trx.deleteFrom('handles').where('session_id', 'in', sessions).execute();
      await trx.deleteFrom('handoff_codes').where('session_id', 'in', sessions).execute();
      await trx.deleteFrom('line_items').where('cart_id', 'in', trx.selectFrom('carts').select('id').where('site_id', '=', id)).execute();
      await deleteSiteWebhooks(trx, id);
      for (const table of ['access_tokens', 'refresh_tokens', 'orders', 'carts', 'sessions', 'shoppers', 'products', 'api_keys', 'seed_log'] as const) {
        await trx.deleteFrom(table).where('site_id', '=', id).execute();
      }
      await trx.deleteFrom('sites').where('id', '=', id).execute();
    });
  }
}

export class KyselyHandoffs implements HandoffStore {
  constructor(protected readonly db: Executor) {}

  async insert(row: HandoffRow): Promise<void> {
    await this.db.insertInto('handoff_codes').values(row).execute();
  }

  async peek(hash: string, now: number): Promise<HandoffSessionRow | null> {
    return (await this.db.selectFrom('handoff_codes').innerJoin('sessions', 'sessions.id', 'handoff_codes.session_id')
      .selectAll('sessions').select('handoff_codes.epoch as code_epoch')
      .where('handoff_codes.hash', '=', hash)
      .where('handoff_codes.used_at', 'is', null).where('handoff_codes.expires_at', '>', now).executeTakeFirst()) ?? null;
  }

  async consume(hash: string, now: number): Promise<HandoffSessionRow | null> {
    const used = await this.db.updateTable('handoff_codes').set({ used_at: now })
      .where('hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) return null;
    return (await this.db.selectFrom('handoff_codes').innerJoin('sessions', 'sessions.id', 'handoff_codes.session_id')
      .selectAll('sessions').select('handoff_codes.epoch as code_epoch').where('handoff_codes.hash', '=', hash).executeTakeFirst()) ?? null;
  }
}
