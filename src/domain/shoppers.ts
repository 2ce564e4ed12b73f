import type { ShopperRow } from '../store/rows.js';
import { Prepared } from '../store/prepared.js';
import type { Ctx } from './context.js';

/** What the Shopper API and token info show of a shopper. */
export type ShopperProfile = Pick<ShopperRow, 'username' | 'external_ref' | 'first_name' | 'last_name' | 'email'>;

const shopperRow = new Prepared<{ id: string }, ShopperProfile>((db, $) =>
  db.selectFrom('shoppers').select(['username', 'external_ref', 'first_name', 'last_name', 'email']).where('id', '=', $('id')));

/** The shopper's profile, or null when the row is gone. */
export async function shopperProfile(ctx: Ctx, shopperId: string): Promise<ShopperProfile | null> {
  return (await shopperRow.first(ctx.db, { id: shopperId })) ?? null;
}

/** The fields of a shopper a full token may change (PUT /v1/shoppers/me). */
export interface ShopperChanges {
  first_name?: string;
  last_name?: string;
  email?: string;
  username?: string;
  password_hash?: string;
}

/**
 * Stores a profile change in one transaction: the session's locale, currency and address and, when
 * `shopper` is given with at least one field, the shopper's row.
 */
export async function saveProfile(
  ctx: Ctx,
  sessionId: string,
  session: { locale: string; currency: string; ip: string | null },
  shopper: { id: string; changes: ShopperChanges } | null
): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('sessions').set(session).where('id', '=', sessionId).execute();
    if (shopper !== null && Object.keys(shopper.changes).length > 0) {
      await trx.updateTable('shoppers').set(shopper.changes).where('id', '=', shopper.id).execute();
    }
  });
}
