// The limit: a bare Fastify route returning a small JSON body.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ ok: true, service: 'bare' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
