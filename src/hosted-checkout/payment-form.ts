import type { Params } from '../http/params.js';
import { countryCode } from './countries.js';
import { ADDRESS_FIELDS } from './templates/payment.js';

/** Luhn check for the test payment form. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The payment form, checked: what is wrong with it (a sentence per field), or the order's details. */
export interface PaymentForm {
  /** Field name → what is wrong with it, in form order; empty when the form can be submitted. */
  errors: Map<string, string>;
  address: Record<string, string>;
  last4: string;
  /** The cart version the form was rendered for, if it sent a valid one. */
  version: number | null;
}

/** Why an expiry `MM/YY` cannot be used at `now` (UTC), or null: a card is good through its expiry month. */
export function expiryProblem(expiry: string, now: number): string | null {
  const m = /^([0-9]{2})\/([0-9]{2})$/.exec(expiry);
  if (m === null) return 'Expiry must be MM/YY';
  const month = Number(m[1]);
  if (month < 1 || month > 12) return 'Expiry month must be 01 to 12';
  const today = new Date(now);
  const year = 2000 + Number(m[2]);
  if (year * 12 + month < today.getUTCFullYear() * 12 + today.getUTCMonth() + 1) return 'This card has expired: check the expiry date';
  return null;
}

export function readPaymentForm(params: Params, now: number): PaymentForm {
  const errors = new Map<string, string>();
  const value = (name: string): string => (params.get(name) ?? '').trim();
  for (const [name, label] of ADDRESS_FIELDS) {
    if (value(name) === '' || value(name).length > 200) errors.set(name, `${label} is required`);
  }
  if (!errors.has('email') && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value('email'))) errors.set('email', 'E-mail is not valid');
  const country = countryCode(value('country'));
  if (country === null) errors.set('country', 'Choose a country from the list');
  const card = value('cardNumber').replace(/[\s-]/g, '');
  if (!/^[0-9]{12,19}$/.test(card) || !luhn(card)) errors.set('cardNumber', 'Card number is not valid');
  const expiry = expiryProblem(value('expiry'), now);
  if (expiry !== null) errors.set('expiry', expiry);
  if (!/^[0-9]{3,4}$/.test(value('cvv'))) errors.set('cvv', 'Security code must be 3 or 4 digits');
  const versionRaw = params.get('version');
  const version = versionRaw !== undefined && /^[0-9]{1,12}$/.test(versionRaw) ? Number(versionRaw) : null;
  const address = Object.fromEntries(ADDRESS_FIELDS.map(([n]) => [n, value(n).slice(0, 200)]));
  if (country !== null) address.country = country;
  return { errors, address, last4: card.slice(-4), version };
}
