import type { ParseArgsConfig } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import type { Ctx } from '../../domain/context.js';

/** What every admin command is made of, and the helpers the command groups share (see run.ts). */

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

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Run {
  ctx: Ctx;
  args: string[];
  values: Values;
  io: Io;
  json: boolean;
}

export interface Command {
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

export const JSON_OPTION: Options = { json: { type: 'boolean' } };

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function intOption(values: Values, name: string, usage: string): number | undefined {
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
export function checkSchema<T>(schema: TSchema, value: unknown, messages: Record<string, string>, usage: string): T {
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First();
    const path = first?.path ?? '';
    const sent = typeof first?.value === 'string' ? `, got "${first.value}"` : '';
    throw new UsageError(`${messages[path] ?? `${path.slice(1) || 'value'} is not valid`}${sent}`, usage);
  }
  return value as T;
}

export const ID_RULE = 'may contain only letters, digits, ".", "_" and "-" (1 to 64 characters)';

export function usageOf(command: Command): string {
  return `usage: sessionlink ${command.name}${command.synopsis ? ' ' + command.synopsis : ''}`;
}

export function printSecretOnce(io: Io, json: boolean, key: { key: string; site: string; type: string; secret: string | null }, line: string): void {
  if (json) {
    printJson(io, key);
    return;
  }
  io.out(line + '\n');
  if (key.secret !== null) {
    io.out(`secret: ${key.secret}\n`);
    io.err('The secret is shown only this once; only its hash is stored.\n');
  }
}

