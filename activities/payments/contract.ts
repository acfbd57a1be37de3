/**
 * The payments service's Nexus contract: what a saga in another namespace depends on, with an endpoint's name, to
 * screen, charge and refund payments. Each operation is synchronous, and takes and answers what the activity of the
 * same name does: the types are the activities' own, so that the two wirings cannot drift apart. The handler is
 * nexus-handler.ts.
 */
import * as nexus from 'nexus-rpc';
import type { PaymentsActivities } from '.';

type Input<K extends keyof PaymentsActivities> = Parameters<PaymentsActivities[K]>[0];
type Output<K extends keyof PaymentsActivities> = Awaited<ReturnType<PaymentsActivities[K]>>;

export const paymentsService = nexus.service('payments', {
  screenPayment: nexus.operation<Input<'screenPayment'>, Output<'screenPayment'>>(),
  chargePayment: nexus.operation<Input<'chargePayment'>, Output<'chargePayment'>>(),
  refundPayment: nexus.operation<Input<'refundPayment'>, Output<'refundPayment'>>(),
});
