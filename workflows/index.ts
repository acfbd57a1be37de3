/**
 * The workflows the service workers bundle: `placeOrder` (the orders service) and `shipment` (the shipping
 * service). Everything reachable from here runs in Temporal's deterministic sandbox: no Node built-ins, no I/O,
 * activities imported as types only.
 */
export { placeOrder } from './order';
export { shipment } from './shipment';
