import type { Site } from '../../domain/sites.js';
import { escapeHTML } from '../../http/html.js';
import { CART_PAGE, frame, pageURL } from './layout.js';

const TITLES: Record<number, string> = {
  400: 'Something in that request was wrong',
  403: 'That form could not be accepted',
  404: 'Page not found',
  405: 'That page takes no form',
  413: 'That was too much to send',
  429: 'Too many requests'
};

/**
 * A hosted page's error, in the store's own frame: the status, what went wrong and what to do,
 * and a way back to the cart (or, for an unknown store, no store link at all).
 */
export function errorPage(site: Site | null, locale: string, status: number, message: string): string {
  const title = TITLES[status] ?? 'Something went wrong';
  const cart = site === null ? null : pageURL(site, locale, CART_PAGE);
  const back = cart === null ? '' : `<a class="button primary" id="back-to-cart" href="${escapeHTML(cart)}">Back to your cart</a>`;
  return frame({
    lang: locale.split('_')[0] ?? 'en',
    title: `${title} · ${site?.name ?? 'Store'}`,
    storeName: site?.name ?? 'Store',
    home: cart,
    nav: '',
    main: `<section class="card error-page"><p class="muted">Error ${escapeHTML(status)}</p><h1>${escapeHTML(title)}</h1>
<p id="error-message">${escapeHTML(message)}</p>${back}</section>`
  });
}
