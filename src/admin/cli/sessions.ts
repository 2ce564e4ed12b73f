import { AdminError, describeSession, listSessions } from '../../domain/admin.js';
import { endSession } from '../../domain/sessions.js';
import { formatDetails } from './format.js';
import { formatTable } from './format.js';
import { JSON_OPTION, printJson, str, type Command } from './command.js';

/** Sessions: the `sessionlink sessions` commands. */
export const SESSIONS_COMMANDS: Command[] = [
  {
    name: 'sessions list', synopsis: '<site> [--shopper USERNAME|EXTERNAL_REF] [--json]',
    summary: "list a site's live sessions, newest first (at most 100)",
    positionals: ['site'], options: { ...JSON_OPTION, shopper: { type: 'string' } },
    async run({ ctx, args, values, io, json }) {
      const sessions = await listSessions(ctx, args[0] as string, str(values, 'shopper') ?? null);
      if (json) return printJson(io, sessions);
      io.out(formatTable(['session', 'shopper', 'created', 'expires in'],
        sessions.map((s) => [s.id, s.shopper.kind === 'anonymous' ? 'anonymous' : (s.shopper.username ?? `external ${s.shopper.externalReferenceId}`), s.createdAt, `${s.expiresIn}s`])));
    }
  },
  {
    name: 'sessions show', synopsis: '<sessionId> [--json]',
    summary: 'show a session: site, shopper, expiry, how many live handles reach it, its cart (never a token)',
    positionals: ['sessionId'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const details = await describeSession(ctx, args[0] as string);
      if (json) return printJson(io, details);
      io.out(formatDetails(details));
    }
  },
  {
    name: 'sessions end', synopsis: '<sessionId>',
    summary: 'end a session now: its cookie, session tokens and access tokens answer "Session expired", its refresh tokens are revoked (an ended session: exit 1)',
    positionals: ['sessionId'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const id = args[0] as string;
      // An ended session is not ended again: exit 1, nothing changed. The one thing left to cut is
      // a signed-in shopper's refresh token (it outlives the session): that is revoked and said.
      const found = await describeSession(ctx, id);
      if (found.status !== 'live' && found.live.refreshTokens === 0) {
        throw new AdminError(`session ${id} already ended at ${found.expiresAt}; nothing changed`);
      }
      if (!(await endSession(ctx, id))) throw new AdminError(`no session "${id}"`);
      if (found.status !== 'live') {
        if (json) return printJson(io, { id, ended: false, alreadyEndedAt: found.expiresAt, revokedRefreshTokens: found.live.refreshTokens });
        io.out(`session ${id} had already ended at ${found.expiresAt}; revoked its ${found.live.refreshTokens} live refresh token(s)\n`);
        return;
      }
      if (json) return printJson(io, { id, ended: true });
      io.out(`ended session ${id}\n`);
    }
  }
];
