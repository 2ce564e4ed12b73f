/** The Sessionlink TypeScript client: no Node-only imports, so it runs in Node 20+ and in browsers. */
export { SessionlinkClient, type Grant, type SessionlinkClientOptions } from './client.js';
export { ShopperSession, type ShopperSessionOptions, type TokenKind, type TokenSet } from './session.js';
export { ShopperApi, type Authorize, type VersionOption } from './shopper-api.js';
export { SessionlinkError } from './errors.js';
export type { FetchLike } from './transport.js';
export type * from './types.js';
