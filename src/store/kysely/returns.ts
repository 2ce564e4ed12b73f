import type { Executor } from '../rows.js';
import type { NewReturnCode, ReturnStore, ReturnTarget } from '../port/returns.js';
import * as q from '../return-codes.js';
import { atomically } from './atomically.js';

/** Return targets and codes on Kysely, both dialects. */
export class KyselyReturns implements ReturnStore {
  constructor(protected readonly db: Executor) {}

  async rememberHandoff(hash: string, target: ReturnTarget, expiresAt: number, now: number): Promise<void> {
    await atomically(this.db, async (trx) => await q.insertHandoffReturn(trx, hash, target, expiresAt, now));
  }
  async adoptHandoff(hash: string, sessionId: string, sessionExpiresAt: number, now: number): Promise<ReturnTarget | null> {
    return await atomically(this.db, async (trx) => await q.adoptHandoffReturn(trx, hash, sessionId, sessionExpiresAt, now));
  }
  async ofSession(sessionId: string, now: number): Promise<ReturnTarget | null> {
    return await q.sessionReturnTarget(this.db, sessionId, now);
  }
  async insertCode(code: NewReturnCode, now: number): Promise<void> {
    await atomically(this.db, async (trx) => await q.insertReturnCode(trx, code, now));
  }
  async spendCode(hash: string, siteId: string, target: ReturnTarget, now: number): Promise<string | null> {
    return await q.spendReturnCode(this.db, hash, siteId, target, now);
  }
}
