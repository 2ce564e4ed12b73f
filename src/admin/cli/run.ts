import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dataDirOf, loadConfig } from '../../config.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import type { Ctx } from '../../domain/context.js';
import { AdminError } from '../../domain/admin.js';
import { UsageError, usageOf, type Command, type Io, type Values } from './command.js';
import { SITES_COMMANDS } from './sites.js';
import { KEYS_COMMANDS } from './keys.js';
import { SHOPPERS_COMMANDS } from './shoppers.js';
import { PRODUCTS_COMMANDS } from './products.js';
import { SEED_COMMANDS } from './seed.js';
import { SESSIONS_COMMANDS } from './sessions.js';
import { TOKENS_COMMANDS } from './tokens.js';
import { WEBHOOKS_COMMANDS } from './webhooks.js';

export { UsageError, type Io } from './command.js';

/** Every command, in the order `sessionlink --help` lists them (one file per group). */
const COMMANDS: Command[] = [...SITES_COMMANDS, ...KEYS_COMMANDS, ...SHOPPERS_COMMANDS, ...PRODUCTS_COMMANDS, ...SEED_COMMANDS, ...SESSIONS_COMMANDS, ...TOKENS_COMMANDS, ...WEBHOOKS_COMMANDS];

const GROUPS = ['sites', 'keys', 'shoppers', 'products', 'seed', 'sessions', 'tokens', 'webhooks'];

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
  let parsed: ReturnType<typeof parseArgs>;
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
async function openForCommand(env: NodeJS.ProcessEnv, command: Command): Promise<{ store: Store; ctx: Ctx }> {
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
  const store = await openStore({ databaseURL: config.databaseURL, dataDir: config.dataDir });
  return { store, ctx: { store, secret: config.secret, now: Date.now } };
}

/** Runs one command line; returns the exit status. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let store: Store | null = null;
  try {
    const parsed = parseCommand(argv);
    if ('help' in parsed) {
      io.out(parsed.help);
      return 0;
    }
    const { command, args, values } = parsed;
    const checked = command.check?.call(command, args, values, io);
    const opened = await openForCommand(env, command);
    store = opened.store;
    await command.run({ ctx: opened.ctx, args, values, io, json: values.json === true }, checked);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`sessionlink: ${err.message}\n${err.usage}${err.usage.endsWith('\n') ? '' : '\n'}`);
      return 2;
    }
    io.err(`sessionlink: ${err instanceof AdminError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

