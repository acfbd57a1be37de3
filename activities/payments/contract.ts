/**
 * The payments service's Nexus contract: what a saga in another namespace depends on, with an endpoint's name, to
 * screen, charge and refund payments. Each operation is synchronous, and takes and answers what the activity of the
 * same name does (../contracts.ts). The handler is nexus-handler.ts.
 */
import * as nexus from 'nexus-rpc';
import type { ActivityInput, ActivityOutput } from '../contracts';
import type { PaymentsActivities } from '.';

export const paymentsService = nexus.service('payments', {
  screenPayment: nexus.operation<
    ActivityInput<PaymentsActivities, 'screenPayment'>,
    ActivityOutput<PaymentsActivities, 'screenPayment'>
  >(),
  chargePayment: nexus.operation<
    ActivityInput<PaymentsActivities, 'chargePayment'>,
    ActivityOutput<PaymentsActivities, 'chargePayment'>
  >(),
  refundPayment: nexus.operation<
    ActivityInput<PaymentsActivities, 'refundPayment'>,
    ActivityOutput<PaymentsActivities, 'refundPayment'>
  >(),
});
