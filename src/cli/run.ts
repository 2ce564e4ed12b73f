import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { dataDirOf, loadConfig } from '../config.js';
import { openStore, type DB } from '../store/open.js';
import { randomHex } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import {
  AdminError, createKey, createProduct, createShopper, createSite, deleteKey, describeSession, listKeys, listProducts,
  listSessions, listShoppers, listSites, revokeTokensOfShopper, rotateKey
} from '../domain/admin.js';
import {
  ApiKeySeedSchema, loadSeed, ProductSeedSchema, readSeedFile, ShopperSeedSchema, SiteSeedSchema, type SiteSeed
} from '../domain/seed.js';
import { endSession } from '../domain/sessions.js';
import { formatDetails, formatTable } from './format.js';

/** Wrong command, option or argument: exit 2, nothing opened. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** All of stdin, for --password-stdin. */
  readStdin: () => string;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Run {
  ctx: Ctx;
  args: string[];
  values: Values;
  io: Io;
  json: boolean;
}

interface Command {
  /** "sites list" */
  name: string;
  /** What follows the name in the usage line. */
  synopsis: string;
  summary: string;
  /** Extra help lines (option descriptions). */
  help?: string[];
  options?: Options;
  positionals: string[];
  /** May create the SQLite database when it does not exist yet. */
  creates?: boolean;
  /** Checks arguments before any database is opened; returns what `run` needs. */
  check?: (args: string[], values: Values, io: Io) => unknown;
  run: (run: Run, checked: unknown) => Promise<void>;
}

const JSON_OPTION: Options = { json: { type: 'boolean' } };

function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function intOption(values: Values, name: string, usage: string): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(raw)) throw new UsageError(`--${name} must be a whole number of seconds, got "${raw}"`, usage);
  return Number(raw);
}

/**
 * Checks a value against the seed file's schema. `messages` maps a field's schema path to the
 * sentence an operator reads when that field is wrong (the value sent is appended); a schema's own
 * wording ("Expected union value", a regular expression) is never shown.
 */
function checkSchema<T>(schema: TSchema, value: unknown, messages: Record<string, string>, usage: string): T {
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First();
    const path = first?.path ?? '';
    const sent = typeof first?.value === 'string' ? `, got "${first.value}"` : '';
    throw new UsageError(`${messages[path] ?? `${path.slice(1) || 'value'} is not valid`}${sent}`, usage);
  }
  return value as T;
}

const ID_RULE = 'may contain only letters, digits, ".", "_" and "-" (1 to 64 characters)';

function usageOf(command: Command): string {
  return `usage: sessionlink ${command.name}${command.synopsis ? ' ' + command.synopsis : ''}`;
}

const SITE_NAMES: Record<string, string> = {
  '/id': `<id> ${ID_RULE}`, '/name': '--name must be 1 to 200 characters', '/locale': '--locale must look like en_US',
  '/currency': '--currency must be a three-letter code like USD', '/session/ttlSeconds': '--ttl must be at least 1 second',
  '/session/refreshTtlSeconds': '--refresh-ttl must be at least 1 second',
  '/sessionTokenExchange': '--session-token-exchange must be any or confidential'
};

const COMMANDS: Command[] = [
  {
    name: 'sites list', synopsis: '[--json]', summary: 'list the sites', positionals: [], options: JSON_OPTION,
    async run({ ctx, io, json }) {
      const sites = await listSites(ctx);
      if (json) return printJson(io, sites);
      io.out(formatTable(['id', 'name', 'locale', 'currency', 'ttl', 'idle', 'allowed origins'],
        sites.map((s) => [s.id, s.name, s.locale, s.currency, String(s.ttlSeconds), String(s.idleSeconds), s.allowedOrigins?.join(' ') ?? 'any'])));
    }
  },
  {
    name: 'sites create', creates: true,
    synopsis: '<id> --name NAME [--locale en_US] [--currency USD] [--ttl S] [--idle S] [--refresh-ttl S] [--refresh-grace S] [--allowed-origin ORIGIN]… [--session-token-exchange any|confidential] [--json]',
    summary: 'create a site (as a seed file would)',
    help: [
      '  --ttl S             absolute session lifetime in seconds (default 86400)',
      '  --idle S            idle timeout in seconds, 0 = off (default 0)',
      '  --refresh-ttl S     refresh token lifetime (default 31536000)',
      '  --refresh-grace S   refresh replay grace window (default 30)',
      '  --allowed-origin O  an origin allowed to include the site action; repeat for several (default: any)'
    ],
    positionals: ['id'],
    options: {
      ...JSON_OPTION, name: { type: 'string' }, locale: { type: 'string' }, currency: { type: 'string' },
      ttl: { type: 'string' }, idle: { type: 'string' }, 'refresh-ttl': { type: 'string' }, 'refresh-grace': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true }, 'session-token-exchange': { type: 'string' }
    },
    check(args, values) {
      const usage = usageOf(this);
      const name = str(values, 'name');
      if (name === undefined) throw new UsageError('--name is required', usage);
      const origins = values['allowed-origin'] as string[] | undefined;
      for (const origin of origins ?? []) {
        let parsed: string | null = null;
        try { parsed = new URL(origin).origin; } catch { /* reported below */ }
        if (parsed !== origin) throw new UsageError(`--allowed-origin must be an origin such as https://shop.example.com, got "${origin}"`, usage);
      }
      const session: Record<string, number> = {};
      for (const [option, field] of [['ttl', 'ttlSeconds'], ['idle', 'idleSeconds'], ['refresh-ttl', 'refreshTtlSeconds'], ['refresh-grace', 'refreshGraceSeconds']] as const) {
        const n = intOption(values, option, usage);
        if (n !== undefined) session[field] = n;
      }
      const site: Record<string, unknown> = { id: args[0], name };
      if (str(values, 'locale') !== undefined) site.locale = str(values, 'locale');
      if (str(values, 'currency') !== undefined) site.currency = str(values, 'currency');
      if (Object.keys(session).length > 0) site.session = session;
      if (origins !== undefined) site.allowedOrigins = origins;
      if (str(values, 'session-token-exchange') !== undefined) site.sessionTokenExchange = str(values, 'session-token-exchange');
      return checkSchema<SiteSeed>(SiteSeedSchema, site, SITE_NAMES, usage);
    },
    async run({ ctx, io, json }, checked) {
      const site = await createSite(ctx, checked as SiteSeed);
      if (json) return printJson(io, site);
      io.out(`created site ${site.id} (${site.name}, ${site.locale}, ${site.currency}, ttl ${site.ttlSeconds}s, idle ${site.idleSeconds}s)\n`);
    }
  },
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
  },
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
  },
  {
    name: 'products list', synopsis: '<site> [--json]', summary: "list a site's products", positionals: ['site'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const products = await listProducts(ctx, args[0] as string);
      if (json) return printJson(io, products);
      io.out(formatTable(['id', 'name', 'price'], products.map((p) => [p.id, p.name, p.price])));
    }
  },
  {
    name: 'products create', synopsis: '<site> <id> --name NAME --price 19.99 [--json]', summary: 'create a product',
    positionals: ['site', 'id'], options: { ...JSON_OPTION, name: { type: 'string' }, price: { type: 'string' } },
    check(args, values) {
      const usage = usageOf(this);
      if (str(values, 'name') === undefined) throw new UsageError('--name is required', usage);
      if (str(values, 'price') === undefined) throw new UsageError('--price is required', usage);
      return checkSchema(ProductSeedSchema, { id: args[1], name: str(values, 'name'), price: str(values, 'price') },
        { '/id': `<id> ${ID_RULE}`, '/name': '--name must not be empty', '/price': '--price must be a decimal amount like 19.99' }, usage);
    },
    async run({ ctx, args, io, json }, checked) {
      const product = await createProduct(ctx, args[0] as string, checked as { id: string; name: string; price: string });
      if (json) return printJson(io, product);
      io.out(`created product ${product.id} (${product.name}, ${product.price}) on site ${product.site}\n`);
    }
  },
  {
    name: 'seed', synopsis: '<file>', summary: "load a seed file, idempotently, exactly as the server's --seed does",
    positionals: ['file'], creates: true, options: JSON_OPTION,
    check(args) {
      try {
        return readSeedFile(args[0] as string);
      } catch (err) {
        throw new AdminError(`cannot load seed file ${args[0]}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    async run({ ctx, io, json }, checked) {
      const seed = checked as ReturnType<typeof readSeedFile>;
      await loadSeed(ctx, seed);
      const counts = {
        sites: seed.sites.length,
        apiKeys: seed.sites.reduce((n, s) => n + (s.apiKeys?.length ?? 0), 0),
        shoppers: seed.sites.reduce((n, s) => n + (s.shoppers?.length ?? 0), 0),
        products: seed.sites.reduce((n, s) => n + (s.products?.length ?? 0), 0)
      };
      if (json) return printJson(io, counts);
      io.out(`loaded ${counts.sites} sites, ${counts.apiKeys} API keys, ${counts.shoppers} shoppers, ${counts.products} products\n`);
    }
  },
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
  },
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

function printSecretOnce(io: Io, json: boolean, key: { key: string; site: string; type: string; secret: string | null }, line: string): void {
  if (json) return printJson(io, key);
  io.out(line + '\n');
  if (key.secret !== null) {
    io.out(`secret: ${key.secret}\n`);
    io.err('The secret is shown only this once; only its hash is stored.\n');
  }
}

const GROUPS = ['sites', 'keys', 'shoppers', 'products', 'seed', 'sessions', 'tokens'];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: sessionlink <command> [arguments] [--json]',
    '',
    'Administers the database the server uses: DATA_DIR (SQLite, default ./data) or DATABASE_URL',
    '(PostgreSQL), with the server\'s SESSIONLINK_SECRET (or DATA_DIR/secret). Run it with the',
    'server\'s environment. Changes to sites and keys reach a running server within 5 s; ended',
    'sessions and revoked tokens at once.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'sessionlink <command> --help shows its arguments. Exit status: 0 done, 1 failed (nothing',
    'changed), 2 usage error.'
  ].join('\n') + '\n';
}

function commandHelp(command: Command): string {
  return [usageOf(command), '', command.summary, ...(command.help ? ['', ...command.help] : [])].join('\n') + '\n';
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.split(' ')[0] === group);
  return ['usage:', ...commands.map((c) => `  sessionlink ${c.name} ${c.synopsis}`.trimEnd())].join('\n') + '\n';
}

interface Parsed {
  command: Command;
  args: string[];
  values: Values;
}

/** Finds the command and parses its arguments; a help request returns the help text. */
function parseCommand(argv: string[]): Parsed | { help: string } {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { help: overview() };
  if (!GROUPS.includes(first)) throw new UsageError(`unknown command "${first}"`, overview());
  let command = COMMANDS.find((c) => c.name === first);
  let rest = argv.slice(1);
  if (command === undefined) {
    const second = argv[1];
    if (second === '--help' || second === '-h') return { help: groupHelp(first) };
    if (second === undefined) throw new UsageError(`"${first}" needs a subcommand`, groupHelp(first));
    command = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (command === undefined) throw new UsageError(`unknown command "${first} ${second}"`, groupHelp(first));
    rest = argv.slice(2);
  }
  if (rest.includes('--help') || rest.includes('-h')) return { help: commandHelp(command) };
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usageOf(command));
  }
  const args = parsed.positionals;
  if (args.length !== command.positionals.length) {
    const expected = command.positionals.length === 0 ? 'no arguments' : command.positionals.map((p) => `<${p}>`).join(' ');
    throw new UsageError(`expected ${expected}, got ${args.length === 0 ? 'none' : args.map((a) => `"${a}"`).join(' ')}`, usageOf(command));
  }
  return { command, args, values: parsed.values as Values };
}

/**
 * Opens exactly the database the server would (same configuration, same migrations). It refuses
 * to invent state: a missing SQLite file is created only by commands that create things, and a
 * server secret is generated only with a brand-new SQLite database — anything else means the
 * environment is not the server's, and secrets hashed here would never match.
 */
async function openForCommand(env: NodeJS.ProcessEnv, command: Command): Promise<{ db: DB; ctx: Ctx }> {
  const dataDir = dataDirOf(env);
  const haveSecret = (env.SESSIONLINK_SECRET ?? '') !== '' || existsSync(join(dataDir, 'secret'));
  if (!env.DATABASE_URL) {
    const file = join(dataDir, 'sessionlink.db');
    if (!existsSync(file)) {
      if (command.creates !== true) {
        throw new AdminError(`no database at ${file}; set DATA_DIR (or DATABASE_URL) to the server's`);
      }
    } else if (!haveSecret) {
      throw new AdminError(`${file} exists but neither SESSIONLINK_SECRET nor ${join(dataDir, 'secret')} does; give the server's SESSIONLINK_SECRET`);
    }
  } else if (!haveSecret) {
    throw new AdminError(`DATABASE_URL is set but neither SESSIONLINK_SECRET nor ${join(dataDir, 'secret')} exists; give the server's SESSIONLINK_SECRET`);
  }
  const config = loadConfig(env, []);
  const db = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  return { db, ctx: { db, secret: config.secret, now: Date.now } };
}

/** Runs one command line; returns the exit status. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let db: DB | null = null;
  try {
    const parsed = parseCommand(argv);
    if ('help' in parsed) {
      io.out(parsed.help);
      return 0;
    }
    const { command, args, values } = parsed;
    const checked = command.check?.call(command, args, values, io);
    const store = await openForCommand(env, command);
    db = store.db;
    await command.run({ ctx: store.ctx, args, values, io, json: values.json === true }, checked);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`sessionlink: ${err.message}\n${err.usage}${err.usage.endsWith('\n') ? '' : '\n'}`);
      return 2;
    }
    io.err(`sessionlink: ${err instanceof AdminError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
    return 1;
  } finally {
    await db?.destroy();
  }
}
