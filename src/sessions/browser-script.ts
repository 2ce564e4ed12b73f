import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

export const BROWSER_SCRIPT_PATH = '/sessionlink.js';

/** The dependency-free browser script (public/sessionlink.js), read once at start. */
export function browserScriptRoutes(app: FastifyInstance): void {
  const body = readFileSync(new URL('../../public/sessionlink.js', import.meta.url));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const schema = { tags: ['browser'], summary: 'The dependency-free browser script: getSessionToken() and checkout()' };
  app.get(BROWSER_SCRIPT_PATH, { config: { surface: 'page' }, schema }, async (request, reply) => {
    // A stable, unversioned path: cache briefly, then revalidate by ETag, so an upgrade reaches
    // pages within minutes.
    reply.header('cache-control', 'public, max-age=300, must-revalidate');
    reply.header('etag', etag);
    // Any storefront origin may include it, as it includes the site action.
    reply.header('cross-origin-resource-policy', 'cross-origin');
    const inm = request.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return reply.code(304).send();
    }
    return reply.type('application/javascript; charset=utf-8').send(body);
  });
}
