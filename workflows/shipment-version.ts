/**
 * The `shipment` workflow's version, which the shipping service writes into each shipment's input as it starts it.
 * A shipment started at version 2 or later runs every change of `ShipmentPatch` (shipment.ts) without asking
 * `patched()`, which would cost each shipment a marker event and a visibility update on the server; shipments
 * started before carry no version and ask, as they did. A later patch asks `version >= 3 || patched(...)` (its own
 * literal, since a shipment's version never changes) and raises this to 3.
 */
export const shipmentVersion = 2;
