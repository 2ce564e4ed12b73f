import { readFileSync } from 'node:fs';
import { main } from './run.js';

// The entry point of `sessionlink` (bin/sessionlink.js); the commands live in run.ts, one file per group.
process.exitCode = await main(process.argv.slice(2), process.env, {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
  readStdin: () => readFileSync(0, 'utf8')
});
