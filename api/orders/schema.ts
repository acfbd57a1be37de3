/**
 * The order API's input schemas. TypeScript types are derived from them, never declared twice.
 *
 * The OpenAPI document is generated from these schemas, and states every rule they check, so that a body the
 * document allows is accepted: where a check is code (a trimmed text), the schema states it in its metadata too.
 */
import { z } from 'zod';
import { countryCodes } from './countries';

/**
 * Text a person typed: surrounding whitespace trimmed, then 1 to `max` characters (zod, like JSON Schema, counts
 * Unicode code points): never blank. The trimming is code, so the rule "not only whitespace" is stated as a pattern.
 */
function typedText(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'expected some text, not only spaces')
    .max(max)
    .meta({
      pattern: '\\S',
      description: `1 to ${max} characters, not only whitespace; surrounding whitespace is trimmed.`,
    });
}

export const OrderItemSchema = z
  .strictObject(
    {
      sku: z
        .string()
        .max(64)
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-", e.g. "SKU-1"')
        .describe('An SKU of the catalog, e.g. `SKU-1`.'),
      quantity: z.int().min(1).max(1000),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' && issue.keys.includes('unitPriceCents')
          ? `Unrecognized key(s): ${issue.keys.map((key) => `"${key}"`).join(', ')}. The inventory prices every ` +
            'item: send its sku and quantity only.'
          : undefined,
    },
  )
  .describe('An SKU and how many; the inventory prices it when the stock is reserved.');

export const ShippingAddressSchema = z.strictObject({
  name: typedText(200),
  line1: typedText(200),
  city: typedText(100),
  postalCode: typedText(20),
  country: z
    .enum(countryCodes, { error: 'expected an ISO 3166-1 alpha-2 country code such as "DE"' })
    .describe('ISO 3166-1 alpha-2, e.g. `DE`.'),
});

/** Letters, digits and `._@:-`: safe to carry into a visibility query. */
export const CustomerIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:-]{1,64}$/, 'expected 1 to 64 letters, digits or ".", "_", "@", ":", "-"');

export const PlaceOrderRequestSchema = z.strictObject({
  customerId: CustomerIdSchema,
  items: z.array(OrderItemSchema).min(1).max(100),
  paymentToken: z
    .string()
    .min(1)
    .max(200)
    .describe('An opaque token from the payment provider, never a card number: 1 to 200 characters.'),
  shippingAddress: ShippingAddressSchema,
});
export type PlaceOrderRequest = z.infer<typeof PlaceOrderRequestSchema>;
