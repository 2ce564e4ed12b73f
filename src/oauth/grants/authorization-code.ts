import { redeemReturnCode } from '../../domain/returns.js';
import { InvalidGrant } from '../../errors.js';
import { counterAddress } from '../../http/client-ip.js';
import { requireParam } from '../../http/params.js';
import { guarded, limitsOf } from '../../limits/guard.js';
import type { Grant } from './grant.js';

/**
 * grant_type=authorization_code: the return code the hosted pages put on the way back to the
 * storefront (`{returnUrl}?order=…&code=…`), redeemed by the confidential key that started the
 * web checkout, with `redirect_uri` the return URL as given then. Every refusal is 400
 * invalid_grant (RFC 6749 §5.2) and changes nothing; each counts as a failed guess on the same
 * counters as a wrong client secret (per client address and per key), so codes cannot be guessed.
 */
export const authorizationCode: Grant = async ({ ctx, site, client, params, request, limiter }) => {
  const code = requireParam(params, 'code');
  const redirectUri = requireParam(params, 'redirect_uri');
  const limits = limitsOf(site);
  return await guarded(limiter, ctx.now(), limits.windowSeconds, [
    [`client-ip:${counterAddress(request.ip)}`, limits.clientAuthFailuresPerIP],
    [`client-key:${client.key.key}`, limits.clientAuthFailuresPerKey]
  ], (err) => err instanceof InvalidGrant, async () => {
    if (!client.confidential) {
      throw new InvalidGrant('A return code is redeemed only by the confidential key that started the web checkout, with its secret');
    }
    return await redeemReturnCode(ctx, site, client.key, code, redirectUri);
  });
};
