import { escapeHTML } from '../../http/html.js';
import { csrfField, pageURL, type PageState } from './layout.js';

/** One field of the sign-in form, with its error (if any) tied to it for screen readers. */
function field(name: string, label: string, type: string, auto: string, value: string, error: string | null): string {
  const id = `signin-${name}`;
  const invalid = error === null ? '' : ` aria-invalid="true" aria-describedby="${id}-error"`;
  const message = error === null ? '' : `<p class="field-error" id="${id}-error">${escapeHTML(error)}</p>`;
  return `<div class="field"><label for="${id}">${escapeHTML(label)}</label><input id="${id}" name="${name}" type="${type}" autocomplete="${auto}" value="${escapeHTML(value)}" maxlength="${name === 'password' ? 1024 : 200}" required${invalid}>${message}</div>`;
}

/**
 * The sign-in form of the cart and payment pages (nothing when a shopper is signed in: the header
 * then offers sign-out). A refused sign-in keeps the username, never the password.
 */
export function signInCard(state: PageState, page: string): string {
  const account = state.account;
  if (account === undefined || account.signedInAs !== null) return '';
  return `<section class="card" aria-labelledby="signin"><h2 id="signin">Have an account? Sign in</h2>
<p class="muted">Your cart comes with you.</p>
<form method="post" action="${escapeHTML(pageURL(state.site, state.locale, page))}">${csrfField(state)}<input type="hidden" name="action" value="sign-in">
<div class="grid">${field('username', 'Username', 'text', 'username', account.username, account.usernameError)}
${field('password', 'Password', 'password', 'current-password', '', account.passwordError)}</div>
<p><button type="submit">Sign in</button></p></form></section>`;
}
