import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGED_CHROMIUM_DIR } from './browser.js';

const run = promisify(execFile);

// The browser tests need no system browser: with PATH holding only node (so no `chromium` can be
// found) and TEST_CHROMIUM unset, they launch the Chromium that `npm ci` installed.
test('browser tests launch the Chromium from npm, with no browser on PATH', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'sl-path-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  symlinkSync(process.execPath, join(bin, 'node'));
  const script = [
    "import { chromiumPath, launchChromium } from './test/browser/browser.ts';",
    'const browser = await launchChromium();',
    'const page = await browser.newPage();',
    "await page.setContent('<p>x</p><script>document.querySelector(\"p\").textContent = navigator.userAgent.includes(\"HeadlessChrome\") ? \"ran\" : \"?\"</script>');",
    "console.log(JSON.stringify({ path: await chromiumPath(), version: browser.version(), text: await page.textContent('p') }));",
    'await browser.close();'
  ].join('\n');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
  delete env.TEST_CHROMIUM;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: process.cwd(), timeout: 60_000 });
  const seen = JSON.parse(stdout.trim().split('\n').pop() as string) as { path: string; version: string; text: string };
  assert.equal(seen.path, join(PACKAGED_CHROMIUM_DIR, 'chromium'));
  assert.equal(seen.text, 'ran');
  assert.match(seen.version, /^\d+\./);
  assert.equal(seen.version.split('.')[0], PACKAGED_CHROMIUM_DIR.match(/chromium-(\d+)\./)?.[1]);
});
