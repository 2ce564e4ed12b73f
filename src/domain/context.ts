import type { DB } from '../store/open.js';

/** What domain code needs: storage, the server secret and a clock (injectable for tests). */
export interface Ctx {
  db: DB;
  secret: string;
  now: () => number;
}
