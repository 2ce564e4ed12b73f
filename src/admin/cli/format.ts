import type { SessionDetails } from '../../domain/admin.js';

/** Plain columns for a terminal; `--json` is the form for scripts. */
export function formatTable(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)\n';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatDetails(s: SessionDetails): string {
  const shopper = s.shopper.kind === 'anonymous'
    ? 'anonymous'
    : `${s.shopper.kind} ${s.shopper.username ?? s.shopper.externalReferenceId ?? ''} (${s.shopper.id})`;
  const lines = [
    `session      ${s.id}`,
    `site         ${s.site}`,
    `shopper      ${shopper}`,
    `status       ${s.status}${s.status === 'live' ? ` (expires in ${s.expiresIn}s)` : ''}`,
    `created      ${s.createdAt}`,
    `last used    ${s.lastUsedAt}`,
    `expires      ${s.expiresAt}`,
    `locale       ${s.locale} ${s.currency}`,
    `live handles ${s.live.cookies} cookies, ${s.live.sessionTokens} session tokens, ${s.live.accessTokens} access tokens, ${s.live.refreshTokens} refresh tokens`
  ];
  if (s.cart === null || s.cart.lines.length === 0) {
    lines.push(`cart         ${s.cart === null ? '(none yet)' : `${s.cart.id} (empty)`}`);
  } else {
    lines.push(`cart         ${s.cart.id}: ${s.cart.itemCount} items, subtotal ${s.cart.subtotal} ${s.cart.currency}`);
    for (const l of s.cart.lines) lines.push(`  ${l.productId}  ${l.name}  ${l.quantity} × ${l.price} = ${l.total}`);
  }
  return lines.join('\n') + '\n';
}
