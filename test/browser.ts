import { execFileSync } from 'node:child_process';

/** Debian's Chromium (installed by .ci/run); browser tests fail rather than skip without it. */
export function chromiumPath(): string {
  const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || true'], { encoding: 'utf8' }).trim();
  if (found === '') {
    throw new Error('Debian chromium is not installed: apt-get install chromium (.ci/run does this)');
  }
  return found;
}

export { freePort } from './process/server-process.js';
