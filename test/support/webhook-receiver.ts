import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A delivery as a receiver saw it. */
export interface Received {
  id: string;
  /** The request's path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers a delivery (the nth, from 0): a status, or 'hang' (never answer). */
export type Answer = number | 'hang' | ((res: ServerResponse, n: number) => void);

export interface Receiver {
  url: string;
  received: Received[];
  /** Deliveries verified with the secret, parsed. */
  events: (secret: string) => Array<{ id: string; type: string; timestamp: string; data: Record<string, unknown> }>;
  close: () => Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1:0 that records every delivery and answers as `answer` says. */
export async function startReceiver(answer: (n: number, req: IncomingMessage) => Answer = () => 204, path = '/hooks'): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      const n = received.length;
      received.push({ id: String(req.headers['webhook-id']), url: req.url ?? '', headers: req.headers, body });
      const a = answer(n, req);
      if (a === 'hang') { hanging.add(res); return; }
      if (typeof a === 'function') { a(res, n); return; }
      res.statusCode = a;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    events: (secret) => received.map((r) => {
      const event = new Webhook(secret).verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature'])
      }) as { type: string; timestamp: string; data: Record<string, unknown> };
      return { id: r.id, ...event };
    }),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}

/** A fresh `whsec_` secret. */
export function testSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}
