import type { Store } from '../store/port.js';

/** What domain code needs: storage, the server secret and a clock (injectable for tests). */
export interface Ctx {
  store: Store;
  secret: string;
  now: () => number;
}
