/**
 * The shipping service's Nexus contract: what a saga in another namespace depends on, with an endpoint's name, to
 * ship an order. `requestShipment` is asynchronous: it starts the service's own `shipment` workflow for the request,
 * and ends when that workflow has decided, with its outcome (dispatched, or rejected with the reason). The request
 * is what the activity of the same name takes. The handler is nexus-handler.ts.
 */
import * as nexus from 'nexus-rpc';
import type { ActivityInput } from '../contracts';
import type { ShipmentOutcome } from '../../workflows/shipment';
import type { ShippingActivities } from '.';

export const shippingService = nexus.service('shipping', {
  requestShipment: nexus.operation<ActivityInput<ShippingActivities, 'requestShipment'>, ShipmentOutcome>(),
});
