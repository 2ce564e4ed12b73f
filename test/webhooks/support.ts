import { DEMO_SEED, type Seed } from '../../src/domain/seed.js';
import { OTHER_SITE, openTestApp, type Backend, type TestApp } from '../support/helpers.js';

export { BACKENDS, BASIC, buildTestApp, form, type Backend, type TestApp } from '../support/helpers.js';

/** The demo site with these webhook endpoints, and the other site without any. */
export function DEMO_SEED_WITH(webhooks: NonNullable<Seed['sites'][number]['webhooks']>): Seed {
  return { sites: [{ ...DEMO_SEED.sites[0]!, webhooks }, OTHER_SITE] };
}

/** An app on a database a second connection can open too: a SQLite file in `dataDir`, or a fresh PostgreSQL database. */
export async function openTestAppFor(backend: Backend, dataDir: string, seed: Seed, config: { secret?: string } = {}): Promise<TestApp> {
  return await openTestApp({ backend, seed, now: Date.now, config: backend === 'sqlite' ? { ...config, dataDir } : config });
}
