// PostgreSQL conformance: the SQLite suites that build their app through buildTestApp or the cart
// helpers run again here on PostgreSQL, each app on its own fresh database sl_test_<random>
// (created on postgres://postgres@127.0.0.1:5432/postgres, or TEST_PG_ADMIN_URL, and dropped
// afterwards). That covers the site action and cookie reuse, every grant row, refresh rotation,
// grace replay, reuse detection and the parallel refresh race, token info GET/DELETE, expiry on
// the movable clock, sweepExpired, the Shopper API cart and the web-checkout handoff.
// When PostgreSQL is unreachable every test fails; nothing is skipped.
import { useBackend } from './helpers.js';

useBackend('postgres');
await import('./site-action.test.js');
await import('./token-grants.test.js');
await import('./ttl-refresh.test.js');
await import('./cart.test.js');
