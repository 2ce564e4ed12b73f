import type { Config } from './config.js';
import type { Seed } from './domain/seed.js';

/**
 * What `npm start` prints on the demo site: where to point a browser, and every key, shopper and
 * product the demo seed made (they are public demo values, never an operator's secrets).
 */
export function demoBanner(config: Config, seed: Seed): string {
  const api = config.publicApiURL;
  const lines = [''];
  for (const site of seed.sites) {
    lines.push(`Sessionlink is listening on ${api} with the demo site "${site.id}" (${site.name}, ${site.currency ?? 'USD'}).`);
    lines.push('  open:');
    lines.push(`    ${api}/             this server's start page`);
    lines.push(`    ${api}/docs         the API reference, with a form to try each call`);
    lines.push(`    ${api}/healthz      liveness (and /readyz, /metrics)`);
    lines.push('  keys:');
    for (const key of site.apiKeys ?? []) {
      lines.push(key.type === 'public'
        ? `    public:        ${key.key}`
        : `    confidential:  ${key.key}  (secret ${key.secret ?? '?'})`);
    }
    for (const shopper of site.shoppers ?? []) {
      lines.push(`  shopper:         ${shopper.username} / ${shopper.password}`);
    }
    lines.push('  products:');
    for (const product of site.products ?? []) {
      lines.push(`    ${product.id.padEnd(6)} ${product.name.padEnd(10)} ${product.price} ${site.currency ?? 'USD'}`);
    }
    lines.push(`  try: curl '${config.publicStoreURL}/store/${site.id}/SessionToken?format=json'`);
  }
  lines.push('');
  return lines.join('\n') + '\n';
}
