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
  /** Who is signed in, and the sign-in form's state (templates/account.ts); absent on pages without it. */
  account?: Account;
  /** The way back to the storefront, when one is known (on the thank-you page: with order and code). */
  back?: string | null;
}

/** The signed-in shopper's name for the header, or the sign-in form as last submitted. */
export interface Account {
  signedInAs: string | null;
  /** What the shopper typed as username (kept after a refusal; the password never is). */
  username: string;
  /** A refusal of the sign-in form, shown at its fields. */
  usernameError: string | null;
  passwordError: string | null;
}

/** The store's favicon, inline (the CSP allows `data:` images and nothing else off the page). */
const FAVICON = 'data:image/svg+xml,' + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d2330"/>' +
  '<path d="M9 11h2l2.4 9h8.2L24 13H12.2" fill="none" stroke="#f5b400" stroke-width="2.2" stroke-linejoin="round"/>' +
  '<circle cx="14" cy="24" r="1.8" fill="#f5b400"/><circle cx="21" cy="24" r="1.8" fill="#f5b400"/></svg>');

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
  const signedIn = state.account?.signedInAs ?? null;
  const account = signedIn === null ? '' : `<form class="account" method="post" action="${escapeHTML(pageURL(state.site, state.locale, page))}">${csrfField(state)}<input type="hidden" name="action" value="sign-out">
<span id="signed-in">Signed in as <strong>${escapeHTML(signedIn)}</strong></span> <button class="secondary" type="submit">Sign out</button></form>`;
  return frame({ lang: state.locale.split('_')[0] ?? 'en', title: `${title} · ${state.site.name}`, storeName: state.site.name,
    home: pageURL(state.site, state.locale, CART_PAGE), nav: `<nav class="steps" aria-label="Checkout steps"><ol>${steps}</ol></nav>${backLink(state)}${account}`,
    main: `${notice}${error}<h1>${escapeHTML(title)}</h1>${body}` });
}

/** What surrounds every hosted page, error pages included; `nav` and `main` are already escaped HTML. */
export interface Frame {
  lang: string;
  title: string;
  storeName: string;
  /** The brand link: the store's cart, or null when there is no store to go back to. */
  home: string | null;
  nav: string;
  main: string;
}

export function frame(f: Frame): string {
  const brand = f.home === null ? `<span class="brand">${escapeHTML(f.storeName)}</span>` : `<a class="brand" href="${escapeHTML(f.home)}">${escapeHTML(f.storeName)}</a>`;
  return `<!doctype html>
<html lang="${escapeHTML(f.lang)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" type="image/svg+xml" href="${escapeHTML(FAVICON)}">
<title>${escapeHTML(f.title)}</title><style>${STYLE}</style></head>
<body>
<header><div class="bar">${brand}
${f.nav}</div></header>
<main>${f.main}</main>
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
