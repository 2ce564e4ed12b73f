import { createHmac, createSecretKey, randomBytes, randomFillSync, scrypt, timingSafeEqual, type KeyObject } from 'node:crypto';

// One call into the CSPRNG per 4 KiB instead of one per value: a token grant needs five random
// values, and each call costs more than the bytes. Every byte is handed out once.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** Lower-case hex of `bytes` random bytes. */
export function randomHex(bytes: number): string {
  if (bytes > 256) return randomBytes(bytes).toString('hex');
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  // Wipe what was handed out, so the pool never holds a value that is in use.
  pool.fill(0, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * 32 lower-case hex characters: 48 bits of milliseconds, then 80 random bits. Not a secret (a
 * session id is shown to API callers); the time prefix makes new rows land at the end of the
 * indexes that hold them, so a grant touches a few pages that the next grant touches again,
 * instead of one random page per index, which matters with a million sessions.
 */
export function sortableId(now: number): string {
  return timePrefix(now) + randomHex(10);
}

/** 12 lower-case hex characters of milliseconds: sorts by time until the year 10889. */
export function timePrefix(now: number): string {
  return Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
}

export const TIME_PREFIX_LENGTH = 12;

/**
 * A bearer secret that starts with its time of issue (`timePrefix`) and then carries `bytes`
 * random bytes. The prefix is not secret, like a JWT's `iat`; it lets the stored key (see
 * `prefixedKey`) sort by time, so issuing appends to the index instead of writing a random page.
 */
export function timedSecret(now: number, bytes: number): string {
  return timePrefix(now) + randomHex(bytes);
}

/**
 * The stored key of a `timedSecret`: its public time prefix, then the HMAC of the whole value.
 * Only for values made by `timedSecret`: of any other value the prefix would be secret bits.
 */
export function prefixedKey(serverSecret: string, kind: string, value: string): string {
  return value.slice(0, TIME_PREFIX_LENGTH) + hashSecret(serverSecret, kind, value);
}

/**
 * The stored form of a bearer secret (token, session token, cookie value, handoff code, API key
 * secret): HMAC-SHA-256 keyed with the server secret, so a copy of the database alone yields
 * nothing usable. The `kind` label keeps a value of one kind from matching a hash of another.
 */
export function hashSecret(serverSecret: string, kind: string, value: string): string {
  return createHmac('sha256', keyOf(serverSecret)).update(kind).update('\0').update(value).digest('base64url');
}

// A KeyObject per server secret: createHmac with a string key prepares a new key on every call.
const keys = new Map<string, KeyObject>();
function keyOf(serverSecret: string): KeyObject {
  let key = keys.get(serverSecret);
  if (key === undefined) {
    if (keys.size >= 16) keys.clear();
    key = createSecretKey(Buffer.from(serverSecret, 'utf8'));
    keys.set(serverSecret, key);
  }
  return key;
}

/** A value derived from the server secret: deterministic, unguessable without it. */
export function deriveHex(serverSecret: string, label: string, value: string): string {
  return createHmac('sha256', keyOf(serverSecret)).update('derive\0').update(label).update('\0').update(value).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ba.length !== bb.length) {
    // Compare anyway so the time does not depend on where the strings differ.
    timingSafeEqual(ba, ba);
    return false;
  }
  return timingSafeEqual(ba, bb);
}

const SCRYPT_N = 16384;
const SCRYPT_KEYLEN = 32;

function scryptAsync(password: string, salt: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEYLEN, { N: n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** `scrypt$N$salt$key`, all base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT_N);
  return `scrypt$${SCRYPT_N}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A fixed hash checked when the user does not exist, so "no such user" costs as much as "wrong password". */
const DUMMY_HASH = `scrypt$${SCRYPT_N}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') {
    return false;
  }
  const n = Number(parts[1]);
  const salt = Buffer.from(parts[2] as string, 'base64url');
  const expected = Buffer.from(parts[3] as string, 'base64url');
  const key = await scryptAsync(password, salt, n);
  const same = expected.length === key.length && timingSafeEqual(key, expected);
  return stored !== null && same;
}
