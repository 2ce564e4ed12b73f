import { createSite, listSites } from '../../domain/admin.js';
import { SiteSeedSchema, type SiteSeed } from '../../domain/seed.js';
import { formatTable } from './format.js';
import { UsageError, JSON_OPTION, printJson, str, intOption, checkSchema, ID_RULE, usageOf, type Command } from './command.js';

const SITE_NAMES: Record<string, string> = {
  '/id': `<id> ${ID_RULE}`, '/name': '--name must be 1 to 200 characters', '/locale': '--locale must look like en_US',
  '/currency': '--currency must be a three-letter code like USD', '/session/ttlSeconds': '--ttl must be at least 1 second',
  '/session/refreshTtlSeconds': '--refresh-ttl must be at least 1 second',
  '/sessionTokenExchange': '--session-token-exchange must be any or confidential',
  '/returnUrl': '--return-url must be an absolute https URL (http only on localhost, 127.x.x.x or [::1]) without user name, password or #fragment'
};

/** Sites: the `sessionlink sites` commands. */
export const SITES_COMMANDS: Command[] = [
  {
    name: 'sites list', synopsis: '[--json]', summary: 'list the sites', positionals: [], options: JSON_OPTION,
    async run({ ctx, io, json }) {
      const sites = await listSites(ctx);
      if (json) return printJson(io, sites);
      io.out(formatTable(['id', 'name', 'locale', 'currency', 'ttl', 'idle', 'allowed origins', 'return url'],
        sites.map((s) => [s.id, s.name, s.locale, s.currency, String(s.ttlSeconds), String(s.idleSeconds), s.allowedOrigins?.join(' ') ?? 'any', s.returnUrl ?? '-'])));
    }
  },
  {
    name: 'sites create', creates: true,
    synopsis: '<id> --name NAME [--locale en_US] [--currency USD] [--ttl S] [--idle S] [--refresh-ttl S] [--refresh-grace S] [--allowed-origin ORIGIN]… [--return-url URL] [--session-token-exchange any|confidential] [--json]',
    summary: 'create a site (as a seed file would)',
    help: [
      '  --ttl S             absolute session lifetime in seconds (default 86400)',
      '  --idle S            idle timeout in seconds, 0 = off (default 0)',
      '  --refresh-ttl S     refresh token lifetime (default 31536000)',
      '  --refresh-grace S   refresh replay grace window (default 30)',
      '  --allowed-origin O  an origin allowed to include the site action; repeat for several (default: any)',
      '  --return-url URL    where the hosted checkout links back to the storefront (https, or http on loopback)'
    ],
    positionals: ['id'],
    options: {
      ...JSON_OPTION, name: { type: 'string' }, locale: { type: 'string' }, currency: { type: 'string' },
      ttl: { type: 'string' }, idle: { type: 'string' }, 'refresh-ttl': { type: 'string' }, 'refresh-grace': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true }, 'return-url': { type: 'string' }, 'session-token-exchange': { type: 'string' }
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
      if (str(values, 'return-url') !== undefined) site.returnUrl = str(values, 'return-url');
      if (str(values, 'session-token-exchange') !== undefined) site.sessionTokenExchange = str(values, 'session-token-exchange');
      return checkSchema<SiteSeed>(SiteSeedSchema, site, SITE_NAMES, usage);
    },
    async run({ ctx, io, json }, checked) {
      const site = await createSite(ctx, checked as SiteSeed);
      if (json) return printJson(io, site);
      io.out(`created site ${site.id} (${site.name}, ${site.locale}, ${site.currency}, ttl ${site.ttlSeconds}s, idle ${site.idleSeconds}s)\n`);
    }
  }
];
