import { SessionlinkError } from './errors.js';
import { callOptions, readJSON, type CallOptions, type Transport } from './transport.js';
import type { Cart, LineItem, LineItems, Order, OrderList, Product, ProductList, Shopper, ShopperUpdate, TokenInfo } from './types.js';
import { toCartView, toOrderView, type CartView, type OrderView } from './views.js';

/** Runs one call with an access token; a session refreshes around it, a bare token does not. */
export type Authorize = <T>(call: (accessToken: string) => Promise<T>) => Promise<T>;

/** Cart changes may name the version they expect; a change made under the caller answers 409. */
export interface VersionOption extends CallOptions {
  version?: number;
}

const ME = '/v1/shoppers/me';
const CART = `${ME}/carts/active`;

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The Shopper API calls, asked for JSON. */
export class ShopperApi {
  protected readonly transport: Transport;
  private readonly authorize: Authorize;

  constructor(transport: Transport, authorize: Authorize) {
    this.transport = transport;
    this.authorize = authorize;
  }

  private async call<T>(method: string, path: string, options: { form?: Record<string, string | undefined>; version?: number | undefined } & CallOptions = {}): Promise<T> {
    return await this.authorize(async (token) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (options.version !== undefined) headers['if-match'] = `"${options.version}"`;
      const res = await this.transport.send(path, { method, headers, ...callOptions(options), ...(options.form === undefined ? {} : { form: options.form }) });
      return (res.status === 204 ? undefined : await readJSON(res, this.transport.baseURL + path, callOptions(options))) as T;
    });
  }

  /** GET /oauth20/access-tokens: what the token stands for (session, cart, shopper, seconds left). */
  async tokenInfo(options?: CallOptions): Promise<TokenInfo> {
    return await this.authorize(async (token) => await this.transport.json<TokenInfo>('/oauth20/access-tokens', { headers: { authorization: `Bearer ${token}` }, ...callOptions(options) }));
  }

  async me(options?: CallOptions): Promise<Shopper> {
    return (await this.call<{ shopper: Shopper }>('GET', ME, callOptions(options))).shopper;
  }

  async updateMe(update: ShopperUpdate, options?: CallOptions): Promise<Shopper> {
    return (await this.call<{ shopper: Shopper }>('POST', ME, { form: { ...update }, ...callOptions(options) })).shopper;
  }

  async products(options?: CallOptions): Promise<ProductList> {
    return (await this.call<{ products: ProductList }>('GET', `${ME}/products`, callOptions(options))).products;
  }

  async product(productId: string, options?: CallOptions): Promise<Product> {
    return (await this.call<{ product: Product }>('GET', `${ME}/products/${seg(productId)}`, callOptions(options))).product;
  }

  /** The active cart as the server sends it (Global Commerce's shape: money as strings, `lineItems.lineItem[]`). */
  async cart(options?: CallOptions): Promise<Cart> {
    return (await this.call<{ cart: Cart }>('GET', CART, callOptions(options))).cart;
  }

  /** The active cart with numbers for money and a plain `items` array (see toCartView). */
  async cartView(options?: CallOptions): Promise<CartView> {
    return toCartView(await this.cart(options));
  }

  /** Adds `quantity` of a product (to an existing line when there is one); answers the whole cart. */
  async addToCart(productId: string, quantity = 1, options: VersionOption = {}): Promise<Cart> {
    return (await this.call<{ cart: Cart }>('POST', CART, { form: { productId, quantity: String(quantity) }, version: options.version, ...callOptions(options) })).cart;
  }

  async lineItems(options?: CallOptions): Promise<LineItems> {
    return (await this.call<{ lineItems: LineItems }>('GET', `${CART}/line-items`, callOptions(options))).lineItems;
  }

  /** Sets a line's quantity (`action=update`). */
  async updateLineItem(lineItemId: string, quantity: number, options: VersionOption = {}): Promise<LineItem> {
    return (await this.call<{ lineItem: LineItem }>('POST', `${CART}/line-items/${seg(lineItemId)}`, {
      form: { action: 'update', quantity: String(quantity) }, version: options.version, ...callOptions(options)
    })).lineItem;
  }

  async removeLineItem(lineItemId: string, options: VersionOption = {}): Promise<void> {
    await this.call<undefined>('DELETE', `${CART}/line-items/${seg(lineItemId)}`, { version: options.version, ...callOptions(options) });
  }

  /** Removes every line of the active cart. */
  async clearCart(options: VersionOption = {}): Promise<void> {
    await this.call<undefined>('DELETE', `${CART}/line-items`, { version: options.version, ...callOptions(options) });
  }

  /** Orders the active cart; a new empty cart follows. */
  async submitCart(options: VersionOption = {}): Promise<Order> {
    return (await this.call<{ submitCart: { order: Order } }>('POST', `${CART}/submit-cart`, { version: options.version, ...callOptions(options) })).submitCart.order;
  }

  /** A registered or external shopper's orders (full tokens only). */
  async orders(options?: CallOptions): Promise<OrderList> {
    return (await this.call<{ orders: OrderList }>('GET', `${ME}/orders`, callOptions(options))).orders;
  }

  /** The orders with numbers for money and plain arrays (see toOrderView). */
  async orderViews(options?: CallOptions): Promise<OrderView[]> {
    return (await this.orders(options)).order.map(toOrderView);
  }

  async order(orderId: string, options?: CallOptions): Promise<Order> {
    return (await this.call<{ order: Order }>('GET', `${ME}/orders/${seg(orderId)}`, callOptions(options))).order;
  }

  /**
   * Server side: asks for web-checkout and answers the hosted cart page's URL with its single-use
   * handoff code (the 302 Location, not followed). Send the shopper's browser there at once: the
   * code lives 60 s. Browsers hide a redirect's Location from fetch; use webCheckoutURL there.
   * `returnUrl`: the way back (the site's returnUrl or a URL on one of its allowedOrigins; else a
   * SessionlinkError 400 `invalid_request`); the thank-you page sends the shopper to
   * `{returnUrl}?order=…&code=…`, and this key redeems the code with authorizationCodeToken.
   */
  async webCheckout(options?: CallOptions & { returnUrl?: string }): Promise<string> {
    const path = options?.returnUrl === undefined ? `${CART}/web-checkout` : `${CART}/web-checkout?returnUrl=${encodeURIComponent(options.returnUrl)}`;
    return await this.authorize(async (token) => {
      const res = await this.transport.send(path, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        redirect: 'manual', ...callOptions(options)
      });
      const location = res.headers.get('location');
      if (res.status !== 302 || location === null) {
        throw new SessionlinkError(res.status, 'unexpected_response', res.type === 'opaqueredirect'
          ? 'The redirect is hidden from this fetch (a browser); navigate to webCheckoutURL() instead'
          : `web-checkout answered ${res.status} without a Location`);
      }
      return location;
    });
  }

  /**
   * Browser side: a URL of the web-checkout call to navigate the shopper to (top level). It carries
   * the access token as the `token` parameter, so it belongs only in that navigation, never in a link
   * or a log. `returnUrl` as for webCheckout.
   */
  async webCheckoutURL(options?: { returnUrl?: string }): Promise<string> {
    return await this.authorize(async (token) => this.transport.url(`${CART}/web-checkout`, { token, returnUrl: options?.returnUrl }));
  }
}
