import type { Cart, Money, Order } from './types.js';

/**
 * Friendlier views of the Global Commerce documents, beside the raw ones: money as numbers (and
 * as whole cents, for exact sums), line items as a plain array, dates as Date. The raw document
 * stays on `raw` for anything the view leaves out.
 */

/** An amount of money: `amount` in the currency's unit (19.99), `centAmount` in minor units (1999). */
export interface MoneyView {
  amount: number;
  centAmount: number;
  currency: string;
}

export interface CartItemView {
  /** The line item's id (for updateLineItem / removeLineItem). */
  id: string;
  productId: string;
  name: string;
  quantity: number;
  unitPrice: MoneyView;
  /** unitPrice × quantity. */
  total: MoneyView;
}

export interface CartView {
  id: string;
  /** Pass back as `{ version }` to refuse a change made under you (409). */
  version: number;
  items: CartItemView[];
  /** How many units in all. */
  itemCount: number;
  subtotal: MoneyView;
  total: MoneyView;
  currency: string;
  raw: Cart;
}

export interface OrderItemView {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: MoneyView;
  total: MoneyView;
}

export interface OrderView {
  id: string;
  status: string;
  submittedAt: Date;
  items: OrderItemView[];
  itemCount: number;
  total: MoneyView;
  currency: string;
  raw: Order;
}

/** A money string of the API ("19.99") as numbers; cents are counted from the digits, not by float arithmetic. */
export function toMoneyView(money: Money): MoneyView {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(money.value.trim());
  if (match === null) {
    const amount = Number(money.value);
    return { amount, centAmount: Math.round(amount * 100), currency: money.currency };
  }
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  const centAmount = match[1] === '-' ? -cents : cents;
  return { amount: centAmount / 100, centAmount, currency: money.currency };
}

/** Wraps a single object where a list is expected (XML-born documents may hold one item bare). */
function list<T>(value: T[] | T | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function toCartView(cart: Cart): CartView {
  const items = list(cart.lineItems?.lineItem).map((line) => ({
    id: line.id,
    productId: line.product.id,
    name: line.product.displayName,
    quantity: Number(line.quantity),
    unitPrice: toMoneyView(line.pricing.listPrice),
    total: toMoneyView(line.pricing.salePriceWithQuantity)
  }));
  const subtotal = toMoneyView(cart.pricing.subtotal);
  return {
    id: cart.id,
    version: Number(cart.version),
    items,
    itemCount: Number(cart.totalItemsInCart),
    subtotal,
    total: toMoneyView(cart.pricing.orderTotal),
    currency: subtotal.currency,
    raw: cart
  };
}

export function toOrderView(order: Order): OrderView {
  const items = list(order.lineItems?.lineItem).map((line) => ({
    productId: line.product.id,
    name: line.product.displayName,
    quantity: Number(line.quantity),
    unitPrice: toMoneyView(line.pricing.listPrice),
    total: toMoneyView(line.pricing.salePriceWithQuantity)
  }));
  const total = toMoneyView(order.pricing.orderTotal);
  return {
    id: order.id,
    status: order.status,
    submittedAt: new Date(order.submissionDate),
    items,
    itemCount: Number(order.totalItemsInOrder),
    total,
    currency: total.currency,
    raw: order
  };
}
