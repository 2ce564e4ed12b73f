import { externalGrant, guestGrant, joinedGuestGrant } from '../../domain/grants.js';
import { InvalidRequest, UnauthorizedClient } from '../../errors.js';
import { param } from '../../http/params.js';
import { chargeJoinOfSession } from '../../limits/session-budget.js';
import { sessionRef, type Grant } from './grant.js';

/**
 * grant_type=client_credentials (confidential clients only): a guest token on a new session, or
 * on the session a session or limited token names; with dr_external_reference_id, a full token
 * for that shopper (created on first use).
 */
export const clientCredentials: Grant = async ({ ctx, site, client, params, request, reply }) => {
  if (!client.confidential) {
    throw new UnauthorizedClient('client_credentials needs a confidential client');
  }
  const externalRef = param(params, 'dr_external_reference_id');
  if (externalRef === undefined) {
    const ref = sessionRef(params, request);
    if (ref.sessionToken !== undefined || ref.limitedToken !== undefined) {
      return await joinedGuestGrant(ctx, site, client.key, ref, (session) => chargeJoinOfSession(ctx, site, session));
    }
    await request.server.budgets.admitGuest(request, reply, site, { confidentialClient: true });
    return await guestGrant(ctx, site, client.key, request.ip);
  }
  if (externalRef.length > 255) {
    throw new InvalidRequest('dr_external_reference_id is too long');
  }
  return await externalGrant(ctx, site, client.key, externalRef, sessionRef(params, request));
};
