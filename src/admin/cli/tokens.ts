import { revokeTokensOfShopper } from '../../domain/admin.js';
import { UsageError, JSON_OPTION, printJson, str, usageOf, type Command } from './command.js';

/** Tokens: the `sessionlink tokens` commands. */
export const TOKENS_COMMANDS: Command[] = [
  {
    name: 'tokens revoke', synopsis: '--site SITE --shopper USERNAME|EXTERNAL_REF [--json]',
    summary: 'revoke every access and refresh token of a shopper; the API then answers 401 "Token revoked"',
    positionals: [], options: { ...JSON_OPTION, site: { type: 'string' }, shopper: { type: 'string' } },
    check(_args, values) {
      const usage = usageOf(this);
      if (str(values, 'site') === undefined) throw new UsageError('--site is required', usage);
      if (str(values, 'shopper') === undefined) throw new UsageError('--shopper is required', usage);
      return null;
    },
    async run({ ctx, values, io, json }) {
      const result = await revokeTokensOfShopper(ctx, str(values, 'site') as string, str(values, 'shopper') as string);
      if (json) return printJson(io, { shopper: result.id, username: result.username, externalReferenceId: result.externalReferenceId, accessTokens: result.accessTokens, refreshTokens: result.refreshTokens });
      io.out(`revoked ${result.accessTokens} access and ${result.refreshTokens} refresh tokens of shopper ${result.username ?? result.externalReferenceId} (${result.id})\n`);
    }
  }
];
