import { sql } from 'kysely';
import type { Executor } from '../rows.js';
import type { ChangeSource, Store } from '../port.js';
import { KyselySessions } from './sessions.js';
import { KyselyTokens } from './tokens.js';
import { KyselyCarts, KyselyCatalogue, KyselyOrders } from './commerce.js';
import { KyselyShoppers, KyselySites } from './accounts.js';
import { KyselyHandoffs, KyselySeed } from './setup.js';

/**
 * The statements both dialects share, on a Kysely handle or an open transaction. One instance per
 * handle: a transaction gets its own (`bind`), with its areas made only when first used, so a
 * transaction that touches one area pays for one object. The dialect classes (sqlite/store.ts,
 * postgres/store.ts) override `bind` and the areas whose hot paths they do their own way.
 */
export abstract class KyselyStore implements Store {
  #sessions: KyselySessions | undefined;
  #tokens: KyselyTokens | undefined;
  #carts: KyselyCarts | undefined;
  #orders: KyselyOrders | undefined;
  #catalogue: KyselyCatalogue | undefined;
  #shoppers: KyselyShoppers | undefined;
  #sites: KyselySites | undefined;
  #handoffs: KyselyHandoffs | undefined;
  #seed: KyselySeed | undefined;

  constructor(readonly db: Executor) {}

  /** This store's class on another handle (a transaction). */
  protected abstract bind(db: Executor): KyselyStore;
  protected abstract makeTokens(db: Executor): KyselyTokens;
  abstract readonly changes: ChangeSource | null;

  get sessions(): KyselySessions { return this.#sessions ??= new KyselySessions(this.db); }
  get tokens(): KyselyTokens { return this.#tokens ??= this.makeTokens(this.db); }
  get carts(): KyselyCarts { return this.#carts ??= new KyselyCarts(this.db); }
  get orders(): KyselyOrders { return this.#orders ??= new KyselyOrders(this.db); }
  get catalogue(): KyselyCatalogue { return this.#catalogue ??= new KyselyCatalogue(this.db); }
  get shoppers(): KyselyShoppers { return this.#shoppers ??= new KyselyShoppers(this.db); }
  get sites(): KyselySites { return this.#sites ??= new KyselySites(this.db); }
  get handoffs(): KyselyHandoffs { return this.#handoffs ??= new KyselyHandoffs(this.db); }
  get seed(): KyselySeed { return this.#seed ??= new KyselySeed(this.db); }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return await fn(this);
    return await this.db.transaction().execute(async (trx) => await fn(this.bind(trx)));
  }

  async ready(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
