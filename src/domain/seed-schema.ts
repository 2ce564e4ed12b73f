import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { webhookProblem, WebhookSeedSchema } from './webhook-rules.js';

/** The seed file's schema, its types and the demo seed (validated by readSeedFile). */
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });

/**
 * A return URL's shape: absolute https, or http on a loopback host (a local storefront); no user
 * name or password, no fragment (the way back adds a query), no spaces or backslashes.
 */
export const RETURN_URL_PATTERN = '^(https://[^/?#@\\s\\\\]+|http://(localhost|127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|\\[::1\\])(:[0-9]{1,5})?)([/?][^#\\s\\\\]*)?$';
export const RETURN_URL_MAX = 2048;

export const SeedSchema = Type.Object({
  sites: Type.Array(Type.Object({
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    locale: Type.Optional(Type.String({ pattern: '^[a-z]{2}_[A-Z]{2}$' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    session: Type.Optional(Type.Object({
      ttlSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
      idleSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
      refreshTtlSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
      refreshGraceSeconds: Type.Optional(Type.Integer({ minimum: 0 }))
    })),
    allowedOrigins: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    returnUrl: Type.Optional(Type.Union([Type.String({ maxLength: RETURN_URL_MAX, pattern: RETURN_URL_PATTERN }), Type.Null()])),
    sessionTokenExchange: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('confidential')])),
    limits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    apiKeys: Type.Optional(Type.Array(Type.Object({
      key: Id,
      type: Type.Union([Type.Literal('public'), Type.Literal('confidential')]),
      secret: Type.Optional(Type.String({ minLength: 1 }))
    }))),
    shoppers: Type.Optional(Type.Array(Type.Object({
      username: Type.String({ minLength: 1, maxLength: 200 }),
      password: Type.String({ minLength: 1 }),
      firstName: Type.Optional(Type.String()),
      lastName: Type.Optional(Type.String()),
      email: Type.Optional(Type.String())
    }))),
    products: Type.Optional(Type.Array(Type.Object({
      id: Id,
      name: Type.String({ minLength: 1 }),
      price: Type.String({ pattern: '^[0-9]+(\\.[0-9]{1,2})?$' })
    })))
 ,
    webhooks: Type.Optional(Type.Array(WebhookSeedSchema, { maxItems: 20 }))
  }))
});
export type Seed = Static<typeof SeedSchema>;

/** The demo site loaded when no seed file is given (docs/seed-file.md describes the format). */
export const DEMO_SEED: Seed = {
  sites: [{
    id: 'acme', name: 'Acme Store', locale: 'en_US', currency: 'USD',
    session: { ttlSeconds: 86400, idleSeconds: 0, refreshTtlSeconds: 31536000, refreshGraceSeconds: 30 },
    allowedOrigins: null,
    // The demo storefront (`npm start`, DEMO_PORT 8081): the way back after an order, and its
    // webhook receiver (plain http is allowed to a loopback address). Demo secrets, not for production.
    returnUrl: 'http://localhost:8081/return',
    webhooks: [{ url: 'http://127.0.0.1:8081/webhooks', secret: 'whsec_My4jh2z9jdyV/Tcj/+DFsDJLLmv559nBRqtnddV3bKk=' }],
    sessionTokenExchange: 'any',
    apiKeys: [
      { key: 'acme-public', type: 'public' },
      { key: 'acme-app', type: 'confidential', secret: 'app-secret-123' }
    ],
    shoppers: [{ username: 'jane', password: 'Correct-Horse-9', firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' }],
    products: [
      { id: '1001', name: 'Widget', price: '19.99' },
      { id: '1002', name: 'Gadget', price: '34.50' },
      { id: '1003', name: 'Gizmo', price: '7.25' }
    ]
  }]
};

export function readSeedFile(file: string): Seed {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Value.Check(SeedSchema, parsed)) {
    const first = Value.Errors(SeedSchema, parsed).First();
    throw new Error(`seed file ${file} is invalid at ${first?.path ?? '/'}: ${first?.message ?? 'bad shape'}`);
  }
  const problem = seedWebhookProblem(parsed);
  if (problem !== null) throw new Error(`seed file ${file} is invalid at ${problem}`);
  return parsed;
}

/** The first webhook entry of a seed that breaks a rule the schema cannot say, as "path: why", or null. */
export function seedWebhookProblem(seed: Seed): string | null {
  for (const [i, site] of seed.sites.entries()) {
    for (const [j, hook] of (site.webhooks ?? []).entries()) {
      const problem = webhookProblem(hook);
      if (problem !== null) return `/sites/${i}/webhooks/${j}: ${problem}`;
    }
  }
  return null;
}

export type SiteSeed = Seed['sites'][number];
export type ApiKeySeed = NonNullable<SiteSeed['apiKeys']>[number];
export type ShopperSeed = NonNullable<SiteSeed['shoppers']>[number];
export type ProductSeed = NonNullable<SiteSeed['products']>[number];

/** The schema of one site, key, shopper or product, so the admin command checks what a seed file would. */
export const SiteSeedSchema = SeedSchema.properties.sites.items;
export const ApiKeySeedSchema = SiteSeedSchema.properties.apiKeys.items;
export const ShopperSeedSchema = SiteSeedSchema.properties.shoppers.items;
export const ProductSeedSchema = SiteSeedSchema.properties.products.items;
