import type { ShopperRow } from '../store/rows.js';
import type { Ctx } from './context.js';

/** What the Shopper API and token info show of a shopper. */
export type ShopperProfile = Pick<ShopperRow, 'username' | 'external_ref' | 'first_name' | 'last_name' | 'email'>;

/** The shopper's profile, or null when the row is gone. */
export async function shopperProfile(ctx: Ctx, shopperId: string): Promise<ShopperProfile | null> {
  return await ctx.store.shoppers.profile(shopperId);
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
  await ctx.store.shoppers.saveProfile(sessionId, session, shopper);
}
