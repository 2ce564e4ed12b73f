/**
 * The defaults of every limit (seed `limits` may override the per-site ones): failure limits,
 * request budgets, per-session budgets, and the sizes and timings of the counters that apply them
 * (src/limits/). `config.ts` re-exports all of it; nothing else writes a limit's default.
 */

/**
 * Per-session budgets on minting (seed `limits` may override each, per site). Every join of an
 * existing session (a session-token exchange, the site action with an apiKey on the browser's
 * session, `/v1/shoppers/token` with a sessionToken) and every refresh stores a token pair, so
 * without a bound one session token could fill the token tables. 120 joins in 10 minutes is a
 * page view every 5 s for 10 minutes, beyond a human shopper; refreshes are rarer still (an access
 * token lives as long as its session), and 60 leaves room for retries and parallel tabs. Over
 * budget: 429 with Retry-After.
 */
export const DEFAULT_SESSION_BUDGETS = Object.freeze({
  sessionWindowSeconds: 600,
  joinsPerSession: 120,
  refreshesPerSession: 60
});

/**
 * Per-site failure limits (seed file `limits` overrides each; limits/guard.ts applies them), with
 * defaults that stop guessing but not real users: within `windowSeconds`, failed logins per
 * username and per client address, failed client authentications per key and per address.
 */
export interface GuessLimits {
  windowSeconds: number;
  loginFailuresPerUsername: number;
  loginFailuresPerIP: number;
  clientAuthFailuresPerKey: number;
  clientAuthFailuresPerIP: number;
}

export const DEFAULT_GUESS_LIMITS: GuessLimits = {
  windowSeconds: 900,
  loginFailuresPerUsername: 5,
  loginFailuresPerIP: 50,
  clientAuthFailuresPerKey: 20,
  clientAuthFailuresPerIP: 50
};

/**
 * Per-site budgets (seed file `limits` overrides each; limits/budgets.ts applies them). The
 * defaults stop a flood from one machine without touching real traffic:
 * - 600 new anonymous sessions per client IP per minute: 10 a second, far above any browser or
 *   app (one session per visitor), while one script on one address is stopped within a minute.
 *   Behind a shared NAT or a proxy without TRUST_PROXY many shoppers share an address; raise it there.
 * - 20,000 new anonymous sessions per site per minute: about 1.2 million visitors an hour.
 * - 2,000,000 live anonymous sessions per site: bounds the sessions table a botnet can fill
 *   (each session is a few rows) while leaving room for a day of heavy real traffic.
 * - 1,000,000 Shopper API requests per API key per minute (~16,700 a second): above what one
 *   process serves, so it only bites when a cluster is hammered through one key.
 */
export interface BudgetLimits {
  guestWindowSeconds: number;
  newSessionsPerIP: number;
  newSessionsPerSite: number;
  liveAnonymousSessions: number;
  apiWindowSeconds: number;
  apiRequestsPerKey: number;
}

export const DEFAULT_BUDGETS: BudgetLimits = {
  guestWindowSeconds: 60,
  newSessionsPerIP: 600,
  newSessionsPerSite: 20_000,
  liveAnonymousSessions: 2_000_000,
  apiWindowSeconds: 60,
  apiRequestsPerKey: 1_000_000
};


/**
 * The counters' own sizes and timings (src/limits/). In memory, at most `failureKeys` failure
 * counters and `budgetKeys` budget buckets are kept (see the eviction rules there); with Redis the
 * budget counts are exchanged every `budgetSyncMs`. Live anonymous sessions are counted from the
 * store at most every `liveRefreshMs`, stretched to `liveCostFactor` times the last count's cost.
 */
export const DEFAULT_COUNTER_SETTINGS = Object.freeze({
  failureKeys: 100_000,
  budgetKeys: 200_000,
  budgetSyncMs: 1000,
  liveRefreshMs: 5000,
  liveCostFactor: 100
});

/** How often expired sessions and tokens are swept from the store, in milliseconds. */
export const SWEEP_INTERVAL_MS = 60_000;

/**
 * Webhook delivery (src/webhooks/): each attempt may take `timeoutSeconds`; a failed one is tried
 * again after `baseDelaySeconds` × 2^(attempt − 1), at most `maxDelaySeconds`, with jitter (a random
 * point in the upper half of that delay), until `maxAttempts` attempts failed (about 3.5 hours with
 * these defaults); then the delivery is given up (`failed`). Other processes' events are looked for
 * every `pollSeconds`; this process's own at once.
 */
export interface WebhookSettings {
  timeoutSeconds: number;
  maxAttempts: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  pollSeconds: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = Object.freeze({
  timeoutSeconds: 5,
  maxAttempts: 12,
  baseDelaySeconds: 5,
  maxDelaySeconds: 3600,
  pollSeconds: 2
});

/** At most this much of an endpoint's answer is read (then the connection is dropped). */
export const WEBHOOK_RESPONSE_LIMIT_BYTES = 4096;
