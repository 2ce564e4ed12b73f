import { sql } from 'kysely';
import type { Executor } from '../rows.js';
import type { ChangeSource, Store } from '../port.js';
import { KyselySessions } from './sessions.js';
import type { KyselyTokens } from './tokens.js';
import { KyselyCarts, KyselyCatalogue, KyselyOrders } from './commerce.js';
import { KyselyShoppers, KyselySites } from './accounts.js';
import { KyselyHandoffs, KyselySeed } from './setup.js';
import { KyselyWebhooks } from './webhooks.js';
import { KyselyReturns } from './returns.js';

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
  #webhooks: KyselyWebhooks | undefined;
  #returns: KyselyReturns | undefined;

  constructor(readonly db: Executor) {}

  /** This store's class on another handle (a transaction). */
  protected abstract bind(db: Executor): KyselyStore;
  protected abstract makeTokens(db: Executor): KyselyTokens;
  abstract readonly changes: ChangeSource | null;

  get sessions(): KyselySessions {
    if (this.#sessions === undefined) this.#sessions = new KyselySessions(this.db);
    return this.#sessions;
  }
  get tokens(): KyselyTokens {
    if (this.#tokens === undefined) this.#tokens = this.makeTokens(this.db);
    return this.#tokens;
  }
  get carts(): KyselyCarts {
    if (this.#carts === undefined) this.#carts = new KyselyCarts(this.db);
    return this.#carts;
  }
  get orders(): KyselyOrders {
    if (this.#orders === undefined) this.#orders = new KyselyOrders(this.db);
    return this.#orders;
  }
  get catalogue(): KyselyCatalogue {
    if (this.#catalogue === undefined) this.#catalogue = new KyselyCatalogue(this.db);
    return this.#catalogue;
  }
  get shoppers(): KyselyShoppers {
    if (this.#shoppers === undefined) this.#shoppers = new KyselyShoppers(this.db);
    return this.#shoppers;
  }
  get sites(): KyselySites {
    if (this.#sites === undefined) this.#sites = new KyselySites(this.db);
    return this.#sites;
  }
  get handoffs(): KyselyHandoffs {
    if (this.#handoffs === undefined) this.#handoffs = new KyselyHandoffs(this.db);
    return this.#handoffs;
  }
  get seed(): KyselySeed {
    if (this.#seed === undefined) this.#seed = new KyselySeed(this.db);
    return this.#seed;
  }

  get webhooks(): KyselyWebhooks {
    if (this.#webhooks === undefined) this.#webhooks = this.makeWebhooks(this.db);
    return this.#webhooks;
  }
  get returns(): KyselyReturns {
    if (this.#returns === undefined) this.#returns = new KyselyReturns(this.db);
    return this.#returns;
  }

  /** The webhooks area; PostgreSQL's claims lock with SKIP LOCKED. */
  protected makeWebhooks(db: Executor): KyselyWebhooks {
    return new KyselyWebhooks(db);
  }

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
