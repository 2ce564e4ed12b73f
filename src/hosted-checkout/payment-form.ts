import type { Params } from '../http/params.js';
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

/** The payment form, checked: what is wrong with it (each as a sentence), or the order's details. */
export interface PaymentForm {
  problems: string[];
  address: Record<string, string>;
  last4: string;
  /** The cart version the form was rendered for, if it sent a valid one. */
  version: number | null;
}

export function readPaymentForm(params: Params): PaymentForm {
  const problems: string[] = [];
  const value = (name: string): string => (params.get(name) ?? '').trim();
  for (const [name, label] of ADDRESS_FIELDS) {
    if (value(name) === '' || value(name).length > 200) problems.push(`${label} is required`);
  }
  if (value('email') !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value('email'))) problems.push('E-mail is not valid');
  const card = value('cardNumber').replace(/[\s-]/g, '');
  if (!/^[0-9]{12,19}$/.test(card) || !luhn(card)) problems.push('Card number is not valid');
  if (!/^(0[1-9]|1[0-2])\/[0-9]{2}$/.test(value('expiry'))) problems.push('Expiry must be MM/YY');
  if (!/^[0-9]{3,4}$/.test(value('cvv'))) problems.push('Security code must be 3 or 4 digits');
  const versionRaw = params.get('version');
  const version = versionRaw !== undefined && /^[0-9]{1,12}$/.test(versionRaw) ? Number(versionRaw) : null;
  const address = Object.fromEntries(ADDRESS_FIELDS.map(([n]) => [n, value(n).slice(0, 200)]));
  return { problems, address, last4: card.slice(-4), version };
}
