/** The Sessionlink TypeScript client: no Node-only imports, so it runs in Node 20+ and in browsers. */
export { SessionlinkClient, type Grant, type SessionlinkClientOptions } from './client.js';
export { ShopperSession, type ShopperSessionOptions, type TokenKind, type TokenSet } from './session.js';
export { ShopperApi, type Authorize, type VersionOption } from './shopper-api.js';
export { toCartView, toMoneyView, toOrderView, type CartItemView, type CartView, type MoneyView, type OrderItemView, type OrderView } from './views.js';
export { SessionlinkError } from './errors.js';
export { WebhookError, Webhooks, type VerifiedWebhookEvent, type WebhookEvent, type WebhookEventType, type WebhookHeaders } from './webhooks.js';
export type { CallOptions, FetchLike } from './transport.js';
export type * from './types.js';
