/**
 * Wire types of the Sessionlink surface the client speaks. Token calls use the
 * plain RFC 6749 format; the Shopper API is asked for JSON.
 */

/** POST /oauth20/token without `format`: the plain RFC 6749 body. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  /** Whole seconds left on the session the token is bound to. */
  expires_in: number;
  refresh_token: string;
}

/** GET|DELETE /oauth20/access-tokens: what a token stands for. */
export interface TokenInfo {
  sessionId: string;
  userId: string;
  externalReferenceId: string;
  authenticated: 'true' | 'false';
  locale: string;
  currency: string;
  cartId: string;
  domain: string;
  expiresIn: number;
}

export type RevokeHint = 'access_token' | 'refresh_token';

export interface Money {
  currency: string;
  value: string;
}

export interface Shopper {
  id: string;
  uri: string;
  locale: string;
  currency: string;
  ipAddress: string;
  firstName: string;
  lastName: string;
  emailAddress: string;
  username: string;
  externalReferenceId?: string;
}

/** Fields POST /v1/shoppers/me accepts; a limited token may change only locale, currency and ipAddress. */
export interface ShopperUpdate {
  locale?: string;
  currency?: string;
  ipAddress?: string;
  firstName?: string;
  lastName?: string;
  emailAddress?: string;
}

export interface Product {
  id: string;
  uri: string;
  displayName: string;
  name: string;
  pricing: { listPrice: Money };
  addProductToCart: { uri: string };
}

export interface ProductList {
  uri: string;
  product: Product[];
  totalResults: number;
}

export interface LineItem {
  id: string;
  uri: string;
  quantity: number;
  product: { id: string; uri: string; displayName: string };
  pricing: { listPrice: Money; salePriceWithQuantity: Money };
}

export interface LineItems {
  uri: string;
  lineItem: LineItem[];
}

export interface Cart {
  id: string;
  uri: string;
  /** Goes up on every change; pass it back as `version` to refuse a change made under you (409). */
  version: number;
  lineItems: LineItems;
  totalItemsInCart: number;
  pricing: { subtotal: Money; orderTotal: Money };
  webCheckout: { uri: string };
}

export interface OrderLineItem {
  quantity: number;
  product: { id: string; displayName: string };
  pricing: { listPrice: Money; salePriceWithQuantity: Money };
}

export interface Order {
  id: string;
  uri: string;
  orderState: string;
  status: string;
  submissionDate: string;
  totalItemsInOrder: number;
  lineItems: { lineItem: OrderLineItem[] };
  pricing: { orderTotal: Money };
}

export interface OrderList {
  uri: string;
  order: Order[];
  totalResults: number;
}

/** RFC 6749 §5.2 error body of the OAuth routes. */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/** Error body of the Shopper API. */
export interface ShopperErrorBody {
  errors: { error: Array<{ relation?: string; code: string; description: string }> };
}
