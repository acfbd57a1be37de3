/**
 * The business failures the services raise: typed, non-retryable `ApplicationFailure`s that make the order saga
 * compensate. Transient failures are retryable and carry their own types.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';

export const BusinessFailure = {
  /** Not enough units of an SKU to reserve. */
  OutOfStock: 'OutOfStock',
  /** An SKU the inventory has never stocked. */
  UnknownSku: 'UnknownSku',
  /** The payment provider refused the payment token. */
  PaymentDeclined: 'PaymentDeclined',
  /** The shipping service cannot deliver to the address. */
  Undeliverable: 'Undeliverable',
  /** The payment screening flagged the order as likely fraud. */
  FraudSuspected: 'FraudSuspected',
} as const;
export type BusinessFailure = (typeof BusinessFailure)[keyof typeof BusinessFailure];

export const TransientFailure = {
  /** The payment provider did not answer; retried by Temporal. */
  PaymentProviderUnavailable: 'PaymentProviderUnavailable',
} as const;

/**
 * A business failure: non-retryable, and benign, so that a worker logs the service's refusal as an expected
 * outcome (at debug, with no stack trace) rather than as an activity error.
 */
export function businessFailure(type: BusinessFailure, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
    ...(details ? { details: [details] } : {}),
  });
}
