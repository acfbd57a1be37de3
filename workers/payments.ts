/**
 * The payments service: charges and refunds, on the `payments` task queue; with `SERVICE_WIRING=nexus`, in its own
 * namespace, serving its Nexus operations there (activities/payments/contract.ts) beside its activities.
 */
import { createPayments, createPaymentsActivities } from '../activities/payments';
import { createPaymentsNexusHandler } from '../activities/payments/nexus-handler';
import type { PaymentsSchema } from '../activities/payments/schema';
import { paymentsMigrations } from '../activities/payments/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps } from './service-worker';
import { createService, depsInOwnNamespace } from './service-worker';

export function createPaymentsService(deps: ServiceDeps): Promise<Service> {
  const own = depsInOwnNamespace('payments', deps);
  return createService<PaymentsSchema>('payments', own, paymentsMigrations, (db) => ({
    activities: createPaymentsActivities({ db }),
    ...(own.config.nexus ? { nexusServices: [createPaymentsNexusHandler(createPayments({ db }))] } : {}),
  }));
}

if (require.main === module) runServiceProcess(createPaymentsService);
