/** The payments service: charges and refunds, on the `payments` task queue. */
import { createPaymentsActivities } from '../activities/payments';
import type { PaymentsSchema } from '../activities/payments/schema';
import { paymentsMigrations } from '../activities/payments/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps } from './service-worker';
import { createService } from './service-worker';

export function createPaymentsService(deps: ServiceDeps): Promise<Service> {
  return createService<PaymentsSchema>('payments', deps, paymentsMigrations, (db) => ({
    activities: createPaymentsActivities({ db }),
  }));
}

if (require.main === module) runServiceProcess(createPaymentsService);
