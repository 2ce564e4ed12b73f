import { anonymousGrant, passwordGrant } from '../../domain/grants.js';
import { InvalidRequest, UnauthorizedClient, WrongPassword } from '../../errors.js';
import { param } from '../../http/params.js';
import { guarded, limitsOf, loginCounters } from '../../limits/guard.js';
import { chargeJoin } from '../../limits/session-budget.js';
import { checkExchangeAllowed, sessionRef, type Grant } from './grant.js';

/**
 * grant_type=password: without username and password, a limited token (on a new session, or on
 * the session a session token names); with them, a shopper login (confidential clients only).
 */
export const password: Grant = async ({ ctx, site, client, params, request, reply, limiter }) => {
  const username = param(params, 'username');
  const secret = param(params, 'password');
  const ref = sessionRef(params, request);
  if (username === undefined && secret === undefined) {
    if (ref.sessionToken !== undefined) {
      checkExchangeAllowed(site, client.confidential);
    }
    delete ref.limitedToken;
    if (ref.sessionToken === undefined) await request.server.budgets.admitGuest(request, reply, site, { confidentialClient: client.confidential });
    else chargeJoin(ctx, site, ref.sessionToken);
    return await anonymousGrant(ctx, site, client.key, ref);
  }
  if (username === undefined || secret === undefined) {
    throw new InvalidRequest(`Missing required parameter "${username === undefined ? 'username' : 'password'}"`);
  }
  if (!client.confidential) {
    throw new UnauthorizedClient('Shopper login needs a confidential client');
  }
  // Credential guessing: failed logins are counted per username and per client address (an IPv6
  // client per /64). Only a wrong password counts: a login that lost a race to re-key the session,
  // or named an expired session token, had the right password.
  return await guarded(limiter, ctx.now(), limitsOf(site).windowSeconds, loginCounters(site, username, request.ip),
    (err) => err instanceof WrongPassword, async () => await passwordGrant(ctx, site, client.key, username, secret, ref));
};
