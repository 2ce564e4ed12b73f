import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Versioned migrations, in code so they ship with the package. Only portable column types
 * (text, bigint, integer) so SQLite and PostgreSQL run the same list.
 */
const migrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('sites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('locale', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('ttl_seconds', 'integer', (c) => c.notNull())
        .addColumn('idle_seconds', 'integer', (c) => c.notNull())
        .addColumn('refresh_ttl_seconds', 'integer', (c) => c.notNull())
        .addColumn('refresh_grace_seconds', 'integer', (c) => c.notNull())
        .addColumn('allowed_origins', 'text')
        .addColumn('session_token_exchange', 'text', (c) => c.notNull())
        .addColumn('limits', 'text')
        .execute();
      await db.schema.createTable('api_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text')
        .execute();
      await db.schema.createTable('shoppers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('external_ref', 'text')
        .addColumn('first_name', 'text', (c) => c.notNull())
        .addColumn('last_name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('locale', 'text')
        .addColumn('currency', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('shoppers_username').unique().on('shoppers').columns(['site_id', 'username']).execute();
      await db.schema.createIndex('shoppers_external').unique().on('shoppers').columns(['site_id', 'external_ref']).execute();
      await db.schema.createTable('products')
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('price', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('products_pk', ['site_id', 'id'])
        .execute();
      await db.schema.createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('shopper_id', 'text')
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('locale', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('cart_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('sessions_site_shopper').on('sessions').columns(['site_id', 'shopper_id']).execute();
      await db.schema.createTable('handles')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('handles_session').on('handles').column('session_id').execute();
      await db.schema.createTable('access_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('chain_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_reason', 'text')
        .execute();
      await db.schema.createIndex('access_tokens_session').on('access_tokens').column('session_id').execute();
      await db.schema.createIndex('access_tokens_chain').on('access_tokens').column('chain_id').execute();
      await db.schema.createTable('refresh_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('chain_id', 'text', (c) => c.notNull())
        .addColumn('access_hash', 'text', (c) => c.notNull())
        .addColumn('shopper_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('spent_at', 'bigint')
        .addColumn('revoked_reason', 'text')
        .execute();
      await db.schema.createIndex('refresh_tokens_chain').on('refresh_tokens').column('chain_id').execute();
      await db.schema.createIndex('refresh_tokens_session').on('refresh_tokens').column('session_id').execute();
      await db.schema.createIndex('refresh_tokens_expires').on('refresh_tokens').column('expires_at').execute();
      await db.schema.createTable('carts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('shopper_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('carts_session').on('carts').column('session_id').execute();
      await db.schema.createIndex('carts_shopper').on('carts').columns(['shopper_id', 'status']).execute();
      await db.schema.createTable('line_items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cart_id', 'text', (c) => c.notNull())
        .addColumn('product_id', 'text', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('line_items_cart_product').unique().on('line_items').columns(['cart_id', 'product_id']).execute();
      await db.schema.createTable('orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('shopper_id', 'text')
        .addColumn('cart_id', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('total', 'text', (c) => c.notNull())
        .addColumn('lines', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('orders_session').on('orders').column('session_id').execute();
      await db.schema.createIndex('orders_shopper').on('orders').column('shopper_id').execute();
      await db.schema.createTable('handoff_codes')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('handoff_codes_expires').on('handoff_codes').column('expires_at').execute();
      await db.schema.createTable('counters')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('counters_expires').on('counters').column('expires_at').execute();
      await sql`select 1`.execute(db);
    },
    async down(): Promise<void> {
      throw new Error('0001_core cannot be undone');
    }
  },
  // Fewer indexes for a token grant to write: chain revocation finds access tokens through their
  // refresh tokens, and only signed-in shoppers' sessions are looked up by shopper.
  '0002_lean_indexes': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('access_tokens_chain').execute();
      await db.schema.dropIndex('sessions_site_shopper').execute();
      await db.schema.createIndex('sessions_site_shopper').on('sessions').columns(['site_id', 'shopper_id'])
        .where(sql.ref('shopper_id'), 'is not', null).execute();
    },
    async down(): Promise<void> {
      throw new Error('0002_lean_indexes cannot be undone');
    }
  },
  // What the seed loader has applied (domain/seed.ts): an entry is applied again only when its
  // text changed, so a restart never undoes an operator's rotation or deletion.
  '0003_seed_log': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('seed_log')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('demo', 'integer', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('seed_log_pk', ['kind', 'id'])
        .execute();
    },
    async down(): Promise<void> {
      throw new Error('0003_seed_log cannot be undone');
    }
  },
  // Token info's `clientIpAddress`: where the session was last used from. Written where a session
  // row is written anyway (sign-in re-key, the idle-timeout touch), so validation writes no more.
  '0004_session_client_ip': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('sessions').addColumn('client_ip', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('sessions').dropColumn('client_ip').execute();
    }
  },
  // Webhooks (store/webhooks.ts): endpoints per site (the signing secret encrypted), the outbox of
  // events written in the change's own transaction, and one delivery row per event and endpoint.
  '0005_webhooks': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret_enc', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('events', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_endpoints_site_url').unique().on('webhook_endpoints').columns(['site_id', 'url']).execute();
      await db.schema.createTable('webhook_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_events_session').on('webhook_events').columns(['session_id', 'type']).execute();
      await db.schema.createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_at']).execute();
      await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'status', 'event_id']).execute();
      await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['webhook_deliveries', 'webhook_events', 'webhook_endpoints']) await db.schema.dropTable(table).execute();
    }
  },
  // The way back to the storefront (store/return-codes.ts): a site's return URL; what a handoff
  // remembers (the return URL and the key that asked), keyed by its own hash of the handoff code;
  // what the browser's session remembers once the handoff is used; and the return codes, hashed.
  // Nothing on the sessions table: its insert is the grants' hot path.
  '0006_return_codes': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('sites').addColumn('return_url', 'text').execute();
      await db.schema.createTable('handoff_returns')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('handoff_returns_expires').on('handoff_returns').column('expires_at').execute();
      await db.schema.createTable('session_returns')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('session_returns_expires').on('session_returns').column('expires_at').execute();
      await db.schema.createTable('return_codes')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('return_codes_session').on('return_codes').column('session_id').execute();
      await db.schema.createIndex('return_codes_expires').on('return_codes').column('expires_at').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('return_codes').execute();
      await db.schema.dropTable('session_returns').execute();
      await db.schema.dropTable('handoff_returns').execute();
      await db.schema.alterTable('sites').dropColumn('return_url').execute();
    }
  }
};

export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
};
