import { hashPassword, randomHex } from '../crypto.js';
import { Conflict, ServiceError } from '../errors.js';
import type { Ctx } from './context.js';
import { passwordCandidates } from './grants.js';
import type { Site } from './sites.js';

/**
 * Shopper registration (`POST /v1/shoppers`) and the profile rules it shares with
 * `POST /v1/shoppers/me`: the password policy, e-mail and username checks, one error code each.
 */

/** 400 with a Global Commerce code (`password-failure` is the one Digital River documents). */
export class ShopperInvalid extends ServiceError {
  constructor(code: string, description: string) {
    super(400, code, description);
  }
}

export const PASSWORD_RULE = 'The password must be 8 to 64 characters long and use at least three of: lower-case letters, upper-case letters, digits, other characters';

/**
 * The password as it will be stored. Digital River's clients send it base64-encoded, others plain;
 * login accepts both (grants.ts `passwordCandidates`), so the decoded form is stored when the value
 * decodes to text, and the policy is checked on what is stored.
 */
export function acceptablePassword(sent: string): string {
  const candidates = passwordCandidates(sent);
  const password = candidates[candidates.length - 1] as string;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 8 || password.length > 64 || classes < 3) {
    throw new ShopperInvalid('password-failure', PASSWORD_RULE);
  }
  return password;
}

const EMAIL = /^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/;

export function checkEmail(email: string): string {
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new ShopperInvalid('invalid-request', 'emailAddress is not an e-mail address');
  }
  return email;
}

export function checkUsername(username: string): string {
  if (username.length > 128 || /[\s\x00-\x1F\x7F]/.test(username)) {
    throw new ShopperInvalid('invalid-request', 'username must be 1 to 128 characters without spaces or control characters');
  }
  return username;
}

function checkName(field: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (value.length > 100 || /[\x00-\x1F\x7F]/.test(value)) {
    throw new ShopperInvalid('invalid-request', `${field} must be at most 100 characters without control characters`);
  }
  return value;
}

export interface Registration {
  username: string | undefined;
  password: string | undefined;
  firstName: string | undefined;
  lastName: string | undefined;
  emailAddress: string | undefined;
  externalReferenceId: string | undefined;
}

export interface RegisteredShopper {
  id: string;
  username: string;
  externalReferenceId: string | null;
  firstName: string;
  lastName: string;
  emailAddress: string;
}

/** Which unique field of a site a new or changed shopper would clash on, or null. */
export async function takenField(ctx: Ctx, siteId: string, fields: { username?: string; externalRef?: string }, exceptId?: string): Promise<'username' | 'externalReferenceId' | null> {
  const rows = await ctx.store.shoppers.matching(siteId, fields);
  const others = rows.filter((r) => r.id !== exceptId);
  if (fields.username !== undefined && others.some((r) => r.username === fields.username)) return 'username';
  if (fields.externalRef !== undefined && others.some((r) => r.external_ref === fields.externalRef)) return 'externalReferenceId';
  return null;
}

export function takenConflict(field: 'username' | 'externalReferenceId'): Conflict {
  return new Conflict(field === 'username' ? 'username-already-exists' : 'external-reference-id-already-exists',
    field === 'username' ? 'This username is already registered' : 'This externalReferenceId is already registered');
}

/**
 * Creates a registered shopper (scrypt-hashed password). Signs nobody in: no session, no token.
 * A taken username or external reference id: 409; nothing is written for any refusal.
 */
export async function registerShopper(ctx: Ctx, site: Site, input: Registration): Promise<RegisteredShopper> {
  const missing = (['username', 'password', 'emailAddress'] as const).find((f) => input[f] === undefined);
  if (missing !== undefined) {
    throw new ShopperInvalid('invalid-request', `Missing required field "${missing}"`);
  }
  const username = checkUsername(input.username as string);
  const email = checkEmail(input.emailAddress as string);
  const firstName = checkName('firstName', input.firstName);
  const lastName = checkName('lastName', input.lastName);
  const externalRef = input.externalReferenceId;
  if (externalRef !== undefined && (externalRef.length > 255 || /[\x00-\x1F\x7F]/.test(externalRef))) {
    throw new ShopperInvalid('invalid-request', 'externalReferenceId must be at most 255 characters without control characters');
  }
  const password = acceptablePassword(input.password as string);
  const clash = await takenField(ctx, site.id, externalRef === undefined ? { username } : { username, externalRef });
  if (clash !== null) throw takenConflict(clash);
  const id = randomHex(16);
  const passwordHash = await hashPassword(password);
  try {
    await ctx.store.shoppers.insert({
      id, site_id: site.id, username, password_hash: passwordHash, external_ref: externalRef ?? null,
      first_name: firstName, last_name: lastName, email, locale: null, currency: null, created_at: ctx.now()
    });
  } catch (err) {
    // A concurrent registration took the name between the check and the insert (unique index).
    const again = await takenField(ctx, site.id, externalRef === undefined ? { username } : { username, externalRef });
    if (again !== null) throw takenConflict(again);
    throw err;
  }
  return { id, username, externalReferenceId: externalRef ?? null, firstName, lastName, emailAddress: email };
}
