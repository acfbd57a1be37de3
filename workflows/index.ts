/**
 * The workflows the `orders` worker bundles. Everything reachable from here runs in Temporal's deterministic
 * sandbox: no Node built-ins, no I/O, activities imported as types only.
 */
export { placeOrder } from './order';
