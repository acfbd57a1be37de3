/**
 * The HTTP shapes of the saga routes, as zod schemas: they document the API (OpenAPI is generated from them) and
 * validate what comes in. The saga's state is declared by the engine as TypeScript types (the workflow bundle
 * carries no zod); its schema here is checked against those types at compile time, both ways, so the two cannot
 * drift.
 */
import { z } from 'zod';
import type { CompensationResolution, SagaState } from '../../workflows/saga';
import { CompensationEvent, CompensationStatus, ResolutionAction, SagaStatus, StepStatus } from '../../workflows/saga';
import type { PublishedSagaState } from './client';

const values = <T extends Record<string, string>>(enumeration: T) =>
  Object.values(enumeration) as [T[keyof T], ...T[keyof T][]];

const StepErrorSchema = z.object({ type: z.string(), message: z.string() }).meta({ id: 'StepError' });

const sagaState = z.object({
  sagaId: z.string(),
  status: z.enum(values(SagaStatus)),
  currentStep: z.string().optional(),
  steps: z.array(
    z.object({
      name: z.string(),
      status: z.enum(values(StepStatus)),
      attempts: z.number().int(),
      pivot: z.literal(true).optional(),
      group: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
      error: StepErrorSchema.optional(),
      compensation: z
        .object({
          status: z.enum(values(CompensationStatus)),
          attempts: z.number().int(),
          startedAt: z.string(),
          finishedAt: z.string().optional(),
          error: StepErrorSchema.optional(),
        })
        .optional(),
    }),
  ),
  pivotPassed: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  failure: StepErrorSchema.optional(),
  cancellation: z
    .object({
      requestedAt: z.string(),
      reason: z.string(),
      outcome: z.enum(['accepted', 'rejected']),
      rejection: z.string().optional(),
    })
    .optional(),
  escalations: z.array(
    z.object({
      step: z.string(),
      kind: z.enum(['action', 'compensation']),
      error: StepErrorSchema,
      since: z.string(),
    }),
  ),
  compensationLog: z.array(
    z.object({
      step: z.string(),
      event: z.enum(values(CompensationEvent)),
      at: z.string(),
      attempt: z.number().int(),
      error: StepErrorSchema.optional(),
      resolution: z.string().optional(),
    }),
  ),
});

export const SagaStateSchema = sagaState.meta({
  id: 'SagaState',
  description: "The saga's state, as its `sagaState` query returns it.",
});

export const PublishedSagaStateSchema = sagaState
  .pick({ sagaId: true, status: true, currentStep: true, startedAt: true, finishedAt: true })
  .meta({
    id: 'PublishedSagaState',
    description:
      'What the saga published, read when its worker did not answer in time: its status and current step (its ' +
      '`SagaStatus` and `SagaStep` search attributes), and when it started and finished. Possibly behind.',
  });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sagaStateMatchesEngine: Same<z.infer<typeof SagaStateSchema>, SagaState> = true;
void sagaStateMatchesEngine;
const publishedStateMatchesClient: Same<z.infer<typeof PublishedSagaStateSchema>, PublishedSagaState> = true;
void publishedStateMatchesClient;

export const CancelRequestSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'CancelRequest' });

export const ResolutionSchema = z
  .strictObject({
    step: z.string().min(1).max(200),
    action: z.enum(values(ResolutionAction)),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'CompensationResolution' });
const resolutionMatchesEngine: Same<z.infer<typeof ResolutionSchema>, CompensationResolution> = true;
void resolutionMatchesEngine;

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    issues: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })).optional(),
    failure: StepErrorSchema.optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json).' });

export const LinksSchema = z
  .object({ self: z.string(), webUi: z.string().optional() })
  .meta({ id: 'Links', description: 'Where to read the resource, and its saga in the Temporal Web UI.' });

export const TimelineEntrySchema = z
  .object({
    eventId: z.number().int(),
    at: z.string().optional(),
    type: z.enum(['saga-started', 'step', 'status', 'update', 'saga-closed']),
    workflowType: z.string().optional(),
    event: z.enum(['scheduled', 'started', 'completed', 'failed', 'timed-out', 'cancelled']).optional(),
    kind: z.enum(['action', 'compensation']).optional(),
    step: z.string().optional(),
    attempt: z.number().int().optional(),
    activity: z.string().optional(),
    summary: z.string().optional(),
    temporalAttempt: z.number().int().optional(),
    status: z.string().optional(),
    name: z.string().optional(),
    outcome: z.string().optional(),
    failure: StepErrorSchema.optional(),
  })
  .meta({ id: 'TimelineEntry' });
