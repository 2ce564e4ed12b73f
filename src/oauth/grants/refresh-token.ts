import { refreshTokens } from '../../domain/tokens.js';
import { InvalidClient } from '../../errors.js';
import { requireParam } from '../../http/params.js';
import { chargeRefresh } from '../../limits/session-budget.js';
import type { Grant } from './grant.js';

/** grant_type=refresh_token: rotation, with the replay grace and reuse detection of domain/tokens. */
export const refreshToken: Grant = async ({ ctx, site, client, params }) => {
  // RFC 6749 §6: a confidential client's refresh token is refreshed with its secret. A Bearer
  // access token stands only for the key's public credentials.
  if (client.key.type === 'confidential' && !client.confidential) {
    throw new InvalidClient('A confidential key refreshes its tokens only with its secret');
  }
  return await refreshTokens(ctx, site, client.key, requireParam(params, 'refresh_token'), (sessionId) => chargeRefresh(ctx, site, sessionId));
};
