/**
 * The shipping service's activities. `requestShipment` hands the request over and returns at once: shipping
 * itself happens later, on the shipping service's own time, so the order never waits for a courier.
 */
import { randomUUID } from 'node:crypto';
import type { StockItem } from './inventory';

export interface ShippingAddress {
  name: string;
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface RequestShipmentInput {
  idempotencyKey: string;
  orderId: string;
  address: ShippingAddress;
  items: StockItem[];
}

export interface ShipmentRequest {
  shipmentId: string;
  orderId: string;
  status: 'requested';
}

export interface ShippingDeps {
  /** Shipment requests by idempotency key. In memory until the service gets its own database. */
  shipments: Map<string, ShipmentRequest>;
}

export function createShippingActivities(deps: ShippingDeps) {
  return {
    async requestShipment(input: RequestShipmentInput): Promise<ShipmentRequest> {
      const existing = deps.shipments.get(input.idempotencyKey);
      if (existing) return existing;
      const shipment = { shipmentId: `shp-${randomUUID()}`, orderId: input.orderId, status: 'requested' as const };
      deps.shipments.set(input.idempotencyKey, shipment);
      return shipment;
    },
  };
}

export type ShippingActivities = ReturnType<typeof createShippingActivities>;
