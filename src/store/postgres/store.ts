import type { Executor } from '../rows.js';
import type { ChangeSource } from '../port.js';
import { KyselyStore } from '../kysely/store.js';
import type { KyselyTokens } from '../kysely/tokens.js';
import { PostgresTokens } from './token-writes.js';
import { KyselyWebhooks } from '../kysely/webhooks.js';

/**
 * The Store on PostgreSQL: the shared statements, the grants as one statement each. Other
 * machines write to the same database and nothing tells this process, so it exposes no change
 * source (`changes` null) and nothing caches rows across calls. A LISTEN/NOTIFY generation would
 * go here: see src/store/cached.ts.
 */
export class PostgresStore extends KyselyStore {
  readonly changes: ChangeSource | null = null;

  protected bind(db: Executor): PostgresStore {
    return new PostgresStore(db);
  }

  protected makeTokens(db: Executor): KyselyTokens {
    return new PostgresTokens(db);
  }

  protected override makeWebhooks(db: Executor): KyselyWebhooks {
    return new KyselyWebhooks(db, true);
  }
}
