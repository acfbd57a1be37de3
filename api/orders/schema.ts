/** The order API's input schemas. TypeScript types are derived from them, never declared twice. */
import { z } from 'zod';

export const OrderItemSchema = z.strictObject({
  sku: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-", e.g. "SKU-1"'),
  quantity: z.int().min(1).max(1000),
  /** Price of one unit, in cents. */
  unitPriceCents: z.int().min(0).max(100_000_000),
});

export const ShippingAddressSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  /** ISO 3166-1 alpha-2, e.g. `DE`. */
  country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as "DE"'),
});

/** Letters, digits and `._@:-`: safe to carry into a visibility query. */
export const CustomerIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:-]{1,64}$/, 'expected 1 to 64 letters, digits or ".", "_", "@", ":", "-"');

export const PlaceOrderRequestSchema = z.strictObject({
  customerId: CustomerIdSchema,
  items: z.array(OrderItemSchema).min(1).max(100),
  /** An opaque token from the payment provider; never a card number. */
  paymentToken: z.string().min(1).max(200),
  shippingAddress: ShippingAddressSchema,
});
export type PlaceOrderRequest = z.infer<typeof PlaceOrderRequestSchema>;
