import { escapeHTML } from '../../http/html.js';
import { csrfField, layout, pageURL, type PageState } from './layout.js';

/** Asks a signed-in browser before a handoff moves it to another session. */
export function switchPage(state: PageState, page: string, code: string): string {
  const here = escapeHTML(pageURL(state.site, state.locale, page));
  return layout({ ...state, notice: 'You are signed in in this browser. The link you followed would move this browser to a different checkout session.' }, page, 'Switch checkout?', `<section class="card">
<p>Switch only if you started that checkout yourself, for example in the shop's app. If you did not, stay: nothing has changed.</p>
<form method="post" action="${here}">${csrfField(state)}<input type="hidden" name="action" value="switch-session"><input type="hidden" name="handoff" value="${escapeHTML(code)}">
<button class="primary" type="submit">Switch to the new checkout</button> <a class="button" href="${here}">Stay in my session</a></form></section>`);
}
