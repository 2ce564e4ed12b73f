import type { IssuedTokens } from '../domain/tokens.js';
import type { OAuthFormat } from '../http/render.js';

/** The token document: RFC 6749 JSON (`plain`), or Global Commerce's `{"token":{…}}` with expires_in a string. */
export function tokenDocument(issued: IssuedTokens, format: OAuthFormat): Record<string, unknown> {
  if (format === 'plain') {
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: issued.expiresIn,
      refresh_token: issued.refreshToken
    };
  }
  return {
    token: {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: String(issued.expiresIn),
      refresh_token: issued.refreshToken
    }
  };
}
