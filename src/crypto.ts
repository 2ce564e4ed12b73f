import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** Lower-case hex of `bytes` random bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * The stored form of a bearer secret (token, session token, cookie value, handoff code, API key
 * secret): HMAC-SHA-256 keyed with the server secret, so a copy of the database alone yields
 * nothing usable. The `kind` label keeps a value of one kind from matching a hash of another.
 */
export function hashSecret(serverSecret: string, kind: string, value: string): string {
  return createHmac('sha256', serverSecret).update(kind).update('\0').update(value).digest('base64url');
}

/** A value derived from the server secret: deterministic, unguessable without it. */
export function deriveHex(serverSecret: string, label: string, value: string): string {
  return createHmac('sha256', serverSecret).update('derive\0').update(label).update('\0').update(value).digest('hex');
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
