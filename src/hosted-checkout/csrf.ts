import { constantTimeEqual, deriveHex } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import type { Session } from '../domain/sessions.js';
import { Forbidden } from '../errors.js';
import type { Params } from '../http/params.js';

/** The CSRF token of a session at an epoch: derived, never stored; a re-key changes it. */
export function csrfTokenOf(ctx: Ctx, session: Pick<Session, 'id' | 'epoch'>): string {
  return deriveHex(ctx.secret, 'csrf', `${session.id}:${session.epoch}`);
}

export const FORM_EXPIRED = 'The form has expired or did not come from this store; reload the page and try again';

export const FORM_RESUBMIT = 'This form had expired or did not come from this store, so nothing was changed. Check what you entered and submit it again.';

/** Whether a form post carries the session's CSRF token (compared in constant time). */
export function isValidCSRF(expected: string, params: Params): boolean {
  return constantTimeEqual(params.get('csrf') ?? '', expected);
}

/** Every form post carries the session's CSRF token, compared in constant time. */
export function checkCSRF(expected: string, params: Params): void {
  const given = params.get('csrf') ?? '';
  if (!constantTimeEqual(given, expected)) {
    throw new Forbidden(FORM_EXPIRED);
  }
}
