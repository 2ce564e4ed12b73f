import { loadConfig } from './config.js';
import { startServer } from './start.js';

// The server alone (`npm run serve`; `npm start` runs examples/demo.ts, which adds the demo storefront).
startServer(loadConfig(process.env, process.argv.slice(2))).catch((err: unknown) => {
  process.stderr.write(`sessionlink failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
