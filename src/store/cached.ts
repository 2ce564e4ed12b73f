import type { AccessTokenRow, SessionRow } from './rows.js';
import type { ChangeSource, Store } from './port.js';
import type { SessionTouch } from './port/sessions.js';
import type { TokenWithSession } from './port/tokens.js';

/**
 * The token cache: a Store wrapper that answers `tokens.findWithSession` from memory while nothing
 * could have changed the token or its session since it was read.
 *
 * Why it is exact. Every entry carries the generation current just before its read, and is used
 * only while the generation is still that one. The generation moves:
 * 1. before and after every call of a Store method not declared harmless in HARMLESS below (so a
 *    write nobody declared — a new method, however it writes — costs a cache miss, never a stale
 *    answer). "Before" makes stale a read that starts while the write runs; "after" (once the
 *    write has resolved, i.e. is committed or in a transaction that will be) makes stale a read
 *    that ran before the write did. Between the two the writer has not been answered yet, so a
 *    hit then answers a state no one has been told is gone;
 * 2. when a transaction rolls back (what it read may have been cached), and when one commits
 *    after anything invalidated during it (its writes are committed only then);
 * 3. when the Store's change source says rows may have changed some other way (`changes`: on
 *    SQLite `PRAGMA data_version`, i.e. another connection committed — the admin CLI, another
 *    server — or a rolled-back savepoint or failed group commit), asked on every lookup.
 * A method is harmless when it cannot change an access_tokens or sessions row: reads, and writes
 * that only add rows (a new row cannot be one read before) or touch other tables. A touch
 * (sessions.touch) is the one declared write to a cached row: it only moves the idle expiry
 * forward, and reports the moment it ran, so the cache brings its copy up to it (touched()).
 * A hit first waits for what this process wrote but has not committed (`settled()`), so it never
 * answers with data that a failed commit would take back.
 * Nothing here reads SQL text or statements.
 *
 * Where a store has no change source (PostgreSQL today: other machines write, unseen) there is no
 * cache: cachedStore() returns the store itself. To cache there, give PostgresStore a `changes`
 * whose generation() moves on a LISTEN/NOTIFY message that every write transaction sends (a
 * trigger on access_tokens and sessions doing pg_notify, or NOTIFY in the Store's invalidating
 * methods) and on a lost listening connection; settled() can answer null (writes there are
 * committed when they resolve). Nothing in this file changes.
 */

type AreaName = 'sessions' | 'tokens' | 'carts' | 'orders' | 'catalogue' | 'shoppers' | 'sites' | 'handoffs' | 'seed' | 'webhooks' | 'returns';

/** Per area, the methods that cannot change an access_tokens or sessions row. Everything else invalidates. */
const HARMLESS: Record<AreaName, ReadonlySet<string>> = {
  sessions: new Set(['insert', 'get', 'addHandle', 'heldByBrowser', 'hasHandle', 'findHandle', 'address', 'countLive', 'countLiveAnonymous', 'cartOf']),
  tokens: new Set(['writePair', 'writePairNow', 'writeSessionAndPair', 'exchangeHandle', 'findWithSession', 'findAccess', 'findRefresh']),
  carts: new Set(['ensure', 'get', 'savedCarts', 'pricedLines', 'lines', 'lineOfProduct', 'line', 'addLine', 'setQuantity', 'removeLine', 'clear', 'bumpVersion', 'close', 'claim']),
  orders: new Set(['insert', 'list', 'lastOfSession']),
  catalogue: new Set(['list', 'find']),
  shoppers: new Set(['profile', 'byUsername', 'byExternalRef', 'matching', 'insert', 'insertIfNewExternal', 'list', 'findByRef', 'brief']),
  sites: new Set(['get', 'key', 'allOrigins', 'list', 'count', 'keysOf', 'create', 'createKey', 'setKeySecret', 'createProduct', 'liveSessions', 'liveCounts']),
  handoffs: new Set(['insert', 'peek', 'consume']),
  seed: new Set(['log', 'siteMark', 'mentions', 'demoSites', 'apply']),
  // Only the webhook tables (no session or token row), written in the change's own transaction.
  webhooks: new Set(['writeEvent', 'claimDue', 'finishDelivery', 'nextDueAt', 'insertEndpoint', 'endpointsOf', 'endpointByUrl', 'deleteEndpoint',
    'deliveriesOf', 'replay', 'unreportedExpiries', 'prune', 'removeSite']),
  // Only handoff_returns, session_returns and return_codes.
  returns: new Set(['rememberHandoff', 'adoptHandoff', 'ofSession', 'insertCode', 'spendCode'])
};

/** How many tokens (and sessions) one process keeps; the oldest go first. */
const MAX_ENTRIES = 10_000;

interface Stamped<T> { value: T; generation: number }

function set<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** The entries, the generation, and the touches (see the comment above). Keys are token hashes. */
export class TokenCache {
  readonly #tokens = new Map<string, Stamped<AccessTokenRow>>();
  readonly #sessions = new Map<string, Stamped<SessionRow>>();
  /** The latest touch of each session at the current generation; touches only move forward. */
  readonly #touches = new Map<string, Stamped<{ lastUsedAt: number; expiresAt: number }>>();
  #generation = 0;
  #source = Number.NaN;

  constructor(readonly changes: ChangeSource) {}

  /** The current generation, after asking the change source. */
  generation(): number {
    const source = this.changes.generation();
    if (source !== this.#source) {
      this.#source = source;
      this.#generation++;
    }
    return this.#generation;
  }

  /** The generation as it stands, without asking the change source. */
  get current(): number {
    return this.#generation;
  }

  invalidate(): void {
    this.#generation++;
  }

  get(hash: string, generation: number): TokenWithSession | null {
    const token = this.#tokens.get(hash);
    if (token === undefined || token.generation !== generation) return null;
    const session = this.#sessions.get(token.value.session_id);
    if (session === undefined || session.generation !== generation) return null;
    return { token: token.value, session: this.#touched(session.value, generation) };
  }

  /** Keeps what a read begun at `generation` found; answers it brought up to date with touches. */
  put(hash: string, found: TokenWithSession, generation: number): TokenWithSession {
    const session = this.#touched(found.session, generation);
    set(this.#tokens, hash, { value: found.token, generation });
    set(this.#sessions, session.id, { value: session, generation });
    return { token: found.token, session };
  }

  /** A touch has just run (not yet committed) and moved a session's idle expiry. */
  touched(touch: SessionTouch): void {
    const generation = this.#generation;
    const previous = this.#touches.get(touch.id);
    if (previous !== undefined && previous.generation === generation && previous.value.lastUsedAt >= touch.now) return;
    this.#touches.delete(touch.id);
    if (this.#touches.size >= MAX_ENTRIES) {
      // A touch forgotten must take its session's entry with it, or that entry could be older.
      const oldest = this.#touches.keys().next().value as string;
      this.#touches.delete(oldest);
      this.#sessions.delete(oldest);
    }
    this.#touches.set(touch.id, { value: { lastUsedAt: touch.now, expiresAt: touch.expires_at }, generation });
  }

  #touched(session: SessionRow, generation: number): SessionRow {
    const touch = this.#touches.get(session.id);
    if (touch === undefined || touch.generation !== generation || touch.value.lastUsedAt <= session.last_used_at) return session;
    return { ...session, last_used_at: touch.value.lastUsedAt, expires_at: touch.value.expiresAt };
  }
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** One handler per area and cache: the area objects of every (transaction) store share it. */
function areaHandler(area: AreaName, cache: TokenCache): ProxyHandler<Record<string, unknown>> {
  const harmless = HARMLESS[area];
  const own: Record<string, (target: Record<string, unknown>) => unknown> = {};
  if (area === 'tokens') {
    own.findWithSession = (target) => async (hash: string): Promise<TokenWithSession | null> => {
      // Before the read: a write from here on makes what the read finds stale at once.
      const generation = cache.generation();
      const hit = cache.get(hash, generation);
      if (hit !== null) {
        const pending = cache.changes.settled();
        if (pending !== null) await pending;
        return hit;
      }
      const found = await (target.findWithSession as Method).call(target, hash) as TokenWithSession | null;
      return found === null ? null : cache.put(hash, found, generation);
    };
  }
  if (area === 'sessions') {
    own.touch = (target) => async (touch: SessionTouch, afterRun?: (changed: boolean) => void): Promise<boolean> =>
      await (target.touch as Method).call(target, touch, (changed: boolean) => {
        if (changed) cache.touched(touch);
        afterRun?.(changed);
      }) as boolean;
  }
  // The functions handed out, per area object and name: the long-lived store's areas (the hot
  // paths run outside transactions) make each one once.
  const made = new WeakMap<object, Map<string, unknown>>();
  const make = (target: Record<string, unknown>, name: string, value: Method): unknown => {
    const special = own[name];
    if (special !== undefined) return special(target);
    if (harmless.has(name)) return value.bind(target);
    return async (...args: unknown[]) => {
      cache.invalidate();
      try {
        return await value.apply(target, args);
      } finally {
        cache.invalidate();
      }
    };
  };
  return {
    get(target, name) {
      const value = target[name as string];
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      let functions = made.get(target);
      if (functions === undefined) {
        functions = new Map();
        made.set(target, functions);
      }
      let fn = functions.get(name);
      if (fn === undefined) {
        fn = make(target, name, value as Method);
        functions.set(name, fn);
      }
      return fn;
    }
  };
}

const AREAS: readonly AreaName[] = ['sessions', 'tokens', 'carts', 'orders', 'catalogue', 'shoppers', 'sites', 'handoffs', 'seed', 'webhooks', 'returns'];

/** A Store whose areas go through the cache's handlers; a transaction gets one of its own. */
class CachedStore implements Store {
  readonly #areas: Partial<Record<AreaName, unknown>> = {};

  constructor(readonly inner: Store, readonly cache: TokenCache, readonly handlers: Record<AreaName, ProxyHandler<Record<string, unknown>>>) {}

  #area<T>(name: AreaName): T {
    let area = this.#areas[name];
    if (area === undefined) {
      area = new Proxy(this.inner[name] as unknown as Record<string, unknown>, this.handlers[name]);
      this.#areas[name] = area;
    }
    return area as T;
  }

  get sessions(): Store['sessions'] { return this.#area('sessions'); }
  get tokens(): Store['tokens'] { return this.#area('tokens'); }
  get carts(): Store['carts'] { return this.#area('carts'); }
  get orders(): Store['orders'] { return this.#area('orders'); }
  get catalogue(): Store['catalogue'] { return this.#area('catalogue'); }
  get shoppers(): Store['shoppers'] { return this.#area('shoppers'); }
  get sites(): Store['sites'] { return this.#area('sites'); }
  get handoffs(): Store['handoffs'] { return this.#area('handoffs'); }
  get seed(): Store['seed'] { return this.#area('seed'); }
  get webhooks(): Store['webhooks'] { return this.#area('webhooks'); }
  get returns(): Store['returns'] { return this.#area('returns'); }
  get changes(): ChangeSource | null { return this.inner.changes; }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const before = this.cache.current;
    let result: T;
    try {
      result = await this.inner.transaction(async (tx) => await fn(new CachedStore(tx, this.cache, this.handlers)));
    } catch (error) {
      this.cache.invalidate();
      throw error;
    }
    // Committed: if anything invalidated meanwhile, reads begun before the commit are stale too.
    if (this.cache.current !== before) this.cache.invalidate();
    return result;
  }

  async ready(): Promise<boolean> { return await this.inner.ready(); }
  async close(): Promise<void> { await this.inner.close(); }
}

/** `store` with the token cache when it has a change source; otherwise `store` itself. */
export function cachedStore(store: Store): Store {
  if (store.changes === null) return store;
  const cache = new TokenCache(store.changes);
  const handlers = Object.fromEntries(AREAS.map((a) => [a, areaHandler(a, cache)])) as Record<AreaName, ProxyHandler<Record<string, unknown>>>;
  return new CachedStore(store, cache, handlers);
}
