import { addEndpoint, listDeliveries, listEndpoints, removeEndpoint, replay } from '../../domain/webhook-endpoints.js';
import { generateSecret } from '../../domain/webhook-secrets.js';
import { WEBHOOK_EVENT_NAMES, WebhookSeedSchema, webhookProblem, type WebhookSeed } from '../../domain/webhook-rules.js';
import { formatTable } from './format.js';
import { UsageError, JSON_OPTION, printJson, str, checkSchema, usageOf, type Command } from './command.js';

const EVENTS_HELP = `  --events a,b    only these events (default: all): ${WEBHOOK_EVENT_NAMES.join(', ')}`;
const STATUSES = ['pending', 'delivered', 'failed'] as const;

/** Webhook endpoints and their deliveries: the `sessionlink webhooks` commands. */
export const WEBHOOKS_COMMANDS: Command[] = [
  {
    name: 'webhooks list', synopsis: '<site> [--json]', summary: "list a site's webhook endpoints (a fingerprint of each secret, never the secret)",
    positionals: ['site'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const endpoints = await listEndpoints(ctx, args[0] as string);
      if (json) return printJson(io, endpoints);
      io.out(formatTable(['id', 'url', 'events', 'secret'], endpoints.map((e) => [e.id, e.url, e.events === 'all' ? 'all' : e.events.join(','), e.fingerprint])));
    }
  },
  {
    name: 'webhooks add', synopsis: '<site> <url> [--events a,b] [--secret-stdin] [--json]',
    summary: 'add a webhook endpoint; without --secret-stdin a secret is generated and printed once',
    help: [EVENTS_HELP, '  --secret-stdin  read the whsec_… secret from stdin (never give a secret as an argument)',
      '  The URL must use https (plain http only to 127.0.0.0/8, ::1 or localhost).'],
    positionals: ['site', 'url'], options: { ...JSON_OPTION, events: { type: 'string' }, 'secret-stdin': { type: 'boolean' } },
    check(args, values, io) {
      const usage = usageOf(this);
      const events = str(values, 'events');
      const names = events?.split(',').map((e) => e.trim());
      if (names !== undefined && (names.some((e) => !(WEBHOOK_EVENT_NAMES as readonly string[]).includes(e)) || new Set(names).size !== names.length)) {
        throw new UsageError(`--events must list distinct event names from: ${WEBHOOK_EVENT_NAMES.join(', ')}; got "${events}"`, usage);
      }
      const secret = values['secret-stdin'] === true ? io.readStdin().trim() : generateSecret();
      const entry = { url: args[1], secret, ...(names === undefined ? {} : { events: names }) };
      const checked = checkSchema<WebhookSeed>(WebhookSeedSchema, entry, {
        '/url': '<url> must be an absolute https URL of at most 2000 characters',
        '/secret': 'the secret on stdin must be "whsec_" followed by base64'
      }, usage);
      const problem = webhookProblem(checked);
      if (problem !== null) throw new UsageError(problem, usage);
      return { entry: checked, generated: values['secret-stdin'] !== true };
    },
    async run({ ctx, args, io, json }, checked) {
      const { entry, generated } = checked as { entry: WebhookSeed; generated: boolean };
      const added = await addEndpoint(ctx, args[0] as string, entry);
      if (json) return printJson(io, generated ? { ...added, secret: entry.secret } : added);
      io.out(`added webhook endpoint ${added.id} on site ${added.site}: ${added.url} (${added.events === 'all' ? 'all events' : added.events.join(', ')})\n`);
      if (generated) {
        io.out(`secret: ${entry.secret}\n`);
        io.err('The secret is shown only this once; give it to the receiver to verify signatures.\n');
      }
    }
  },
  {
    name: 'webhooks remove', synopsis: '<endpoint-id> [--json]', summary: 'remove a webhook endpoint and its pending deliveries',
    positionals: ['endpoint-id'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      await removeEndpoint(ctx, args[0] as string);
      if (json) return printJson(io, { removed: args[0] });
      io.out(`removed webhook endpoint ${args[0]}\n`);
    }
  },
  {
    name: 'webhooks deliveries', synopsis: '<site> [--status pending|delivered|failed] [--limit n] [--json]',
    summary: "a site's webhook deliveries, newest event first: status, attempts, the last answer",
    positionals: ['site'], options: { ...JSON_OPTION, status: { type: 'string' }, limit: { type: 'string' } },
    check(_args, values) {
      const usage = usageOf(this);
      const status = str(values, 'status');
      if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
        throw new UsageError(`--status must be pending, delivered or failed, got "${status}"`, usage);
      }
      const limit = str(values, 'limit') ?? '50';
      if (!/^[0-9]{1,4}$/.test(limit) || Number(limit) < 1) throw new UsageError(`--limit must be a whole number from 1 to 9999, got "${limit}"`, usage);
      return { status, limit: Number(limit) };
    },
    async run({ ctx, args, io, json }, checked) {
      const options = checked as { status?: (typeof STATUSES)[number]; limit: number };
      const deliveries = await listDeliveries(ctx, args[0] as string, options);
      if (json) return printJson(io, deliveries);
      io.out(formatTable(['event', 'type', 'endpoint', 'status', 'attempts', 'last answer', 'next attempt'], deliveries.map((d) => [
        d.event, d.type, d.endpoint, d.status, String(d.attempts),
        d.httpStatus === null && d.error === null ? '-' : d.error ?? `HTTP ${d.httpStatus}`, d.nextAttemptAt ?? '-'
      ])));
    }
  },
  {
    name: 'webhooks replay', synopsis: '<event-id> [--endpoint id] [--json]',
    summary: 'send an event again (same webhook-id), to every endpoint it went to or one',
    positionals: ['event-id'], options: { ...JSON_OPTION, endpoint: { type: 'string' } },
    async run({ ctx, args, values, io, json }) {
      const count = await replay(ctx, args[0] as string, str(values, 'endpoint') ?? null);
      if (json) return printJson(io, { event: args[0], deliveries: count });
      io.out(`event ${args[0]} queued again for ${count} endpoint${count === 1 ? '' : 's'}; a running server sends it within its poll interval\n`);
    }
  }
];
