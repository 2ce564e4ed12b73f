import { createShopper, listShoppers } from '../../domain/admin.js';
import { ShopperSeedSchema } from '../../domain/seed.js';
import { formatTable } from './format.js';
import { randomHex } from '../../crypto.js';
import { UsageError, JSON_OPTION, printJson, str, checkSchema, usageOf, type Command } from './command.js';

/** Shoppers: the `sessionlink shoppers` commands. */
export const SHOPPERS_COMMANDS: Command[] = [
  {
    name: 'shoppers list', synopsis: '<site> [--json]', summary: "list a site's shoppers", positionals: ['site'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const shoppers = await listShoppers(ctx, args[0] as string);
      if (json) return printJson(io, shoppers);
      io.out(formatTable(['id', 'username', 'external reference', 'name', 'email', 'created'],
        shoppers.map((s) => [s.id, s.username ?? '', s.externalReferenceId ?? '', `${s.firstName} ${s.lastName}`.trim(), s.email, s.createdAt])));
    }
  },
  {
    name: 'shoppers create',
    synopsis: '<site> <username> [--password PASSWORD | --password-stdin] [--first-name F] [--last-name L] [--email E] [--json]',
    summary: 'create a registered shopper; without a password one is generated and printed once',
    help: ['  --password-stdin    read the password from standard input (keeps it out of the process list and shell history)'],
    positionals: ['site', 'username'],
    options: {
      ...JSON_OPTION, password: { type: 'string' }, 'password-stdin': { type: 'boolean' },
      'first-name': { type: 'string' }, 'last-name': { type: 'string' }, email: { type: 'string' }
    },
    check(args, values, io) {
      const usage = usageOf(this);
      let password = str(values, 'password');
      if (password !== undefined && values['password-stdin'] === true) throw new UsageError('give --password or --password-stdin, not both', usage);
      if (values['password-stdin'] === true) password = io.readStdin().replace(/\r?\n$/, '');
      const generated = password === undefined;
      const shopper: Record<string, unknown> = { username: args[1], password: password ?? randomHex(12) };
      for (const [option, field] of [['first-name', 'firstName'], ['last-name', 'lastName'], ['email', 'email']] as const) {
        if (str(values, option) !== undefined) shopper[field] = str(values, option);
      }
      checkSchema(ShopperSeedSchema, shopper, { '/username': '<username> must be 1 to 200 characters', '/password': 'the password must not be empty' }, usage);
      return { shopper, generated };
    },
    async run({ ctx, args, io, json }, checked) {
      const { shopper, generated } = checked as { shopper: { username: string; password: string }; generated: boolean };
      const created = await createShopper(ctx, args[0] as string, shopper);
      const password = generated ? shopper.password : undefined;
      if (json) return printJson(io, { ...created, ...(password === undefined ? {} : { password }) });
      io.out(`created shopper ${created.username} (${created.id}) on site ${created.site}\n`);
      if (password !== undefined) {
        io.out(`password: ${password}\n`);
        io.err('The password is shown only this once; only its scrypt hash is stored.\n');
      }
    }
  }
];
