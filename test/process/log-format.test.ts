// Log format of a real process: readable lines on a terminal (or LOG_FORMAT=pretty), JSON lines
// otherwise (or LOG_FORMAT=json); a bad LOG_FORMAT or LOG_LEVEL stops the start with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, stopServer } from './server-process.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sessionlink-logfmt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The server with its stdout on a pseudo-terminal (util-linux `script`), as in a developer's shell. */
async function onTerminal(env: Record<string, string>, requestPath: string): Promise<string> {
  const port = await freePort();
  const child = spawn('script', ['-qfec', `"${process.execPath}" --import tsx src/server.ts`, '/dev/null'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DEMO_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'], detached: true
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await (await fetch(`http://127.0.0.1:${port}${requestPath}`)).text();
  } finally {
    // Ctrl-C on the terminal: SIGINT to the server, which shuts down gracefully and writes its last lines.
    child.stdin!.write('\x03');
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
    await closed;
    clearTimeout(timer);
  }
  return out.replace(ANSI, '').replace(/\r/g, '');
}

test('LOG_FORMAT=pretty: one readable line per request, no JSON', async (t) => {
  const server = await startServer({ DATA_DIR: tempDir(t), LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
  t.after(async () => await stopServer(server));
  await (await fetch(`${server.url}/oauth20/access-tokens?token=abcdef0123456789&format=json`)).text();
  const deadline = Date.now() + 5000;
  while (!/access-tokens/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const output = server.output();
  assert.match(output, /INFO: req-\d+ GET \/oauth20\/access-tokens\?token=\[redacted\]&format=json 401 [\d.]+ ms\n/);
  assert.ok(!output.includes('abcdef0123456789'), 'the token reached the output');
  assert.ok(!output.split('\n').some((l) => l.startsWith('{')), 'no JSON line');
});

test('a terminal gets readable lines without any setting; LOG_FORMAT=json keeps JSON there', { skip: hasScript ? false : 'util-linux `script` not installed' }, async (t) => {
  const readable = await onTerminal({ DATA_DIR: tempDir(t) }, '/healthz?on=tty');
  assert.match(readable, /INFO: req-\d+ GET \/healthz\?on=tty 200 [\d.]+ ms\n/);
  assert.ok(!readable.split('\n').some((l) => l.startsWith('{"level"')), readable);
  const json = await onTerminal({ DATA_DIR: tempDir(t), LOG_FORMAT: 'json' }, '/healthz?on=tty');
  const line = json.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.url === '/healthz?on=tty');
  assert.ok(line, json);
  assert.deepEqual([line.method, line.statusCode, line.msg], ['GET', 200, 'request completed']);
});

test('a bad LOG_FORMAT or LOG_LEVEL stops the start with a line that says what is allowed', async (t) => {
  await assert.rejects(startServer({ DATA_DIR: tempDir(t), LOG_FORMAT: 'xml' }), /LOG_FORMAT must be json or pretty .*got "xml"/);
  await assert.rejects(startServer({ DATA_DIR: tempDir(t), LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
});
