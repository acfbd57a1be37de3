/**
 * The shipping service's Nexus handler (contract.ts). `requestShipment` is a workflow-run operation: it records the
 * request (once per step key) and starts the request's `shipment` workflow, or finds it started, whose outcome is the
 * operation's result. No task token is stored and nothing heartbeats: the server holds the caller's operation open
 * until the workflow ends, and a cancelled operation cancels the workflow.
 */
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import type { ShipmentOutcome, shipment } from '../../workflows/shipment';
import { shipmentVersion } from '../../workflows/shipment-version';
import type { createShipping, ShipmentRequest } from '.';
import { shippingService } from './contract';
import { shipmentWorkflowId } from './waiting-orders';

export function createShippingNexusHandler(shipping: ReturnType<typeof createShipping>) {
  return nexus.serviceHandler(shippingService, {
    requestShipment: new WorkflowRunOperationHandler<ShipmentRequest, ShipmentOutcome>(async (context, request) => {
      const shipmentId = await shipping.recordNexusRequest(request);
      return startWorkflow<typeof shipment>(context, 'shipment', {
        workflowId: shipmentWorkflowId(shipmentId),
        args: [{ shipmentId, version: shipmentVersion }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    }),
  });
}
