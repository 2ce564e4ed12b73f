import { crc32, deflateSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { escapeHTML, PAGE_CSP } from '../http/html.js';

/**
 * The server's own front door: `GET /`, a small page that says what this is and links the demo
 * storefront (when this process runs it), the API reference and the health checks; and
 * `GET /favicon.ico`, so a browser's automatic request is not a 404 (in the logs or in metrics).
 */

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 16×16 icon: two linked rings (one session, two handles), drawn here so no binary file is kept. */
function icon(): Buffer {
  const size = 16;
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const ring = (cx: number): number => Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - 8) - 3.6);
      const d = Math.min(ring(5.8), ring(10.2));
      const alpha = Math.max(0, Math.min(1, 1.6 - d * 1.4));
      row.set([15, 118, 110, Math.round(alpha * 255)], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))
  ]);
  // An ICO file with one PNG image (supported by every current browser).
  const ico = Buffer.alloc(22);
  ico.writeUInt16LE(0, 0);
  ico.writeUInt16LE(1, 2);
  ico.writeUInt16LE(1, 4);
  ico.set([size, size, 0, 0], 6);
  ico.writeUInt16LE(1, 10);
  ico.writeUInt16LE(32, 12);
  ico.writeUInt32LE(png.length, 14);
  ico.writeUInt32LE(22, 18);
  return Buffer.concat([ico, png]);
}

export const FAVICON: Buffer = icon();

/** Answers `GET /favicon.ico` on any Fastify app (the API and the demo storefront). */
export function faviconRoute(app: FastifyInstance): void {
  app.get('/favicon.ico', async (_request, reply: FastifyReply) =>
    reply.header('cache-control', 'public, max-age=86400').type('image/x-icon').send(FAVICON));
}

const demoURLs = new WeakMap<FastifyInstance, string>();

/** Tells the root page where this process's demo storefront listens (server.ts, once it runs). */
export function setDemoStorefrontURL(app: FastifyInstance, url: string): void {
  demoURLs.set(app, url);
}

function homePage(api: string, demo: string | undefined): string {
  const link = (href: string, text: string): string => `<a href="${escapeHTML(href)}">${escapeHTML(text)}</a>`;
  const items = [
    demo === undefined ? null : `<li>${link(demo, 'The demo storefront')}: a third-party shop on another origin; click through to the hosted checkout.</li>`,
    `<li>${link('/docs', 'API reference')} (OpenAPI, with a form to try each call).</li>`,
    `<li>${link('/healthz', 'Liveness')}, ${link('/readyz', 'readiness')} and ${link('/metrics', 'metrics')}.</li>`,
    `<li>${link('/sessionlink.js', 'sessionlink.js')}: the browser script that fetches a session token and starts checkout.</li>`
  ].filter((item) => item !== null);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sessionlink</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2933}a{color:#0f766e}code{background:#f1f5f9;padding:0 .2em}</style></head>
<body>
<h1>Sessionlink</h1>
<p>Session-aware access tokens: the shopper's browser session on the store and the OAuth tokens a storefront app uses are handles on one shopper session.</p>
<ul>
${items.join('\n')}
</ul>
<p>API: <code>${escapeHTML(api)}</code></p>
</body>
</html>
`;
}

export function homeRoutes(app: FastifyInstance): void {
  const api = app.config.publicApiURL;
  app.get('/', async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-cache');
    return reply.type('text/html; charset=utf-8').send(homePage(api, demoURLs.get(app)));
  });
  faviconRoute(app);
}
