/** What a saga's workflow failed with, read from the client's `WorkflowFailedError`. */
import { WorkflowFailedError } from '@temporalio/client';

export interface SagaFailure {
  /** The type of the failure the workflow ended with (`ApplicationFailure.type`, or the failure's name). */
  type: string | undefined;
  message: string | undefined;
  /** The first typed failure inside it, e.g. the activity's business failure under an `ActivityFailure`. */
  causeType: string | undefined;
  details: unknown[] | undefined;
}

interface Failure {
  name?: string;
  type?: string;
  message?: string;
  details?: unknown[];
  cause?: Failure;
}

export async function failureOf(result: Promise<unknown>): Promise<SagaFailure> {
  const error = await result.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause as Failure | undefined;
  let inner = failure?.cause;
  while (inner && !inner.type) inner = inner.cause;
  return {
    type: failure?.type ?? failure?.name,
    message: failure?.message,
    causeType: inner?.type,
    details: failure?.details,
  };
}
