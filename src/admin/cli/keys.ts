import { createKey, deleteKey, listKeys, rotateKey } from '../../domain/admin.js';
import { ApiKeySeedSchema } from '../../domain/seed.js';
import { formatTable } from './format.js';
import { UsageError, JSON_OPTION, printJson, str, checkSchema, ID_RULE, usageOf, printSecretOnce, type Command } from './command.js';

/** API keys: the `sessionlink keys` commands. */
export const KEYS_COMMANDS: Command[] = [
  {
    name: 'keys list', synopsis: '<site> [--json]', summary: "list a site's API keys (never their secrets)", positionals: ['site'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const keys = await listKeys(ctx, args[0] as string);
      if (json) return printJson(io, keys);
      io.out(formatTable(['key', 'type'], keys.map((k) => [k.key, k.type])));
    }
  },
  {
    name: 'keys create', synopsis: '<site> <key> --type public|confidential [--json]',
    summary: 'create an API key; a confidential key gets a generated secret, printed once',
    positionals: ['site', 'key'], options: { ...JSON_OPTION, type: { type: 'string' } },
    check(args, values) {
      const usage = usageOf(this);
      const type = str(values, 'type');
      if (type === undefined) throw new UsageError('--type public|confidential is required', usage);
      return checkSchema(ApiKeySeedSchema, { key: args[1], type }, { '/key': `<key> ${ID_RULE}`, '/type': '--type must be public or confidential' }, usage);
    },
    async run({ ctx, args, io, json }, checked) {
      const created = await createKey(ctx, args[0] as string, checked as { key: string; type: 'public' | 'confidential' });
      printSecretOnce(io, json, created, `created ${created.type} key ${created.key} on site ${created.site}`);
    }
  },
  {
    name: 'keys rotate', synopsis: '<key> [--json]',
    summary: "replace a confidential key's secret; the new one is printed once, the old one stops working",
    positionals: ['key'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const rotated = await rotateKey(ctx, args[0] as string);
      printSecretOnce(io, json, rotated, `rotated the secret of key ${rotated.key} (site ${rotated.site})`);
    }
  },
  {
    name: 'keys delete', synopsis: '<key> [--json]', summary: 'delete an API key and revoke every token issued to it',
    positionals: ['key'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const deleted = await deleteKey(ctx, args[0] as string);
      if (json) return printJson(io, deleted);
      io.out(`deleted key ${deleted.key} (site ${deleted.site}); revoked ${deleted.accessTokens} access and ${deleted.refreshTokens} refresh tokens\n`);
    }
  }
];
