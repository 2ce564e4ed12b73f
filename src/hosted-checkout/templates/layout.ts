import { readFileSync } from 'node:fs';
import type { Session } from '../../domain/sessions.js';
import type { Site } from '../../domain/sites.js';
import { escapeHTML } from '../../http/html.js';

export const CART_PAGE = 'DisplayThreePgCheckoutShoppingCartPage';
export const PAYMENT_PAGE = 'DisplayThreePgCheckoutAddressPaymentInfoPage';
export const THANK_YOU_PAGE = 'ThankYouPage';

/** The pages' style sheet (inlined: the CSP allows no other origin, and there is no static route). */
const STYLE = readFileSync(new URL('./style.css', import.meta.url), 'utf8');

/** What every page of one request shows around its content. */
export interface PageState {
  site: Site;
  locale: string;
  session: Session;
  csrf: string;
  notice: string | null;
  error: string | null;
  /** The way back to the storefront, when one is known (on the thank-you page: with order and code). */
  back?: string | null;
}

function formatMoney(locale: string, currency: string, value: string): string {
  try {
    return new Intl.NumberFormat(locale.replace('_', '-'), { style: 'currency', currency }).format(Number(value));
  } catch {
    return `${currency} ${value}`;
  }
}

export function pageURL(site: Site, locale: string, page: string): string {
  return `/store/${encodeURIComponent(site.id)}/${encodeURIComponent(locale)}/${page}`;
}

export function layout(state: PageState, page: string, title: string, body: string): string {
  const steps = [[CART_PAGE, 'Cart'], [PAYMENT_PAGE, 'Address & payment'], [THANK_YOU_PAGE, 'Confirmation']]
    .map(([p, label]) => `<li${p === page ? ' aria-current="step"' : ''}>${escapeHTML(label)}</li>`).join('');
  const notice = state.notice === null ? '' : `<div class="notice" role="status">${escapeHTML(state.notice)}</div>`;
  const error = state.error === null ? '' : `<div class="error" role="alert">${escapeHTML(state.error)}</div>`;
  return `<!doctype html>
<html lang="${escapeHTML(state.locale.split('_')[0])}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHTML(title)} · ${escapeHTML(state.site.name)}</title><style>${STYLE}</style></head>
<body>
<header><div class="bar"><a class="brand" href="${escapeHTML(pageURL(state.site, state.locale, CART_PAGE))}">${escapeHTML(state.site.name)}</a>
<nav class="steps" aria-label="Checkout steps"><ol>${steps}</ol></nav>${backLink(state)}</div></header>
<main>${notice}${error}<h1>${escapeHTML(title)}</h1>${body}</main>
<footer>Test store · no real payments are taken</footer>
</body></html>`;
}

/** The header's "back to the store" link, when a return URL is known. */
function backLink(state: PageState): string {
  return state.back == null ? '' : `<a class="back" id="back-to-store" href="${escapeHTML(state.back)}">Back to the store</a>`;
}

export function csrfField(state: PageState): string {
  return `<input type="hidden" name="csrf" value="${escapeHTML(state.csrf)}">`;
}

export function money(state: PageState, currency: string, value: string): string {
  return escapeHTML(formatMoney(state.locale, currency, value));
}
