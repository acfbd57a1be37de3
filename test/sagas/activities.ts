/**
 * Test activities for the engine's own tests: one `perform` and one `undo`, each told by its input how to behave,
 * and each recording what it did in a {@link TestService} that the test reads. The worker runs in the test
 * process, so the test and the activities share that record.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';

export type Behaviour =
  | { kind: 'succeed'; delayMs?: number }
  /** A business failure: non-retryable, typed. */
  | { kind: 'fail'; type: string }
  /** A transient failure on the first `times` attempts, then success. */
  | { kind: 'failTimes'; times: number }
  /** A business failure (non-retryable) on every attempt until the test calls `fix(step)`. */
  | { kind: 'failUntilFixed' }
  /** Does its work, then outlives its start-to-close timeout. */
  | { kind: 'sideEffectThenHang'; hangMs: number }
  /** Blocks until the test calls `release(step)`, heartbeating; a cancellation ends it as cancelled. */
  | { kind: 'waitForRelease' };

export interface ActivityInput {
  step: string;
  key: string;
  behaviour: Behaviour;
}

export type ActivityName = 'perform' | 'undo';

export interface Effect {
  activity: ActivityName;
  step: string;
  key: string;
  attempt: number;
  outcome: 'started' | 'done' | 'failed';
  /** Which worker ran it: 0 for the first, one more after each restart of the harness's worker. */
  worker: number;
}

export class TestService {
  readonly effects: Effect[] = [];
  /** The running worker's number; the harness counts it up once the previous worker has stopped. */
  worker = 0;
  readonly #fixed = new Set<string>();
  readonly #released = new Set<string>();
  readonly #waiting = new Map<string, () => void>();

  /** Makes the `failUntilFixed` activities of one saga's step succeed from their next attempt. */
  fix(sagaId: string, step: string): void {
    this.#fixed.add(`${sagaId}/${step}`);
  }

  /** Lets the `waitForRelease` activities of one saga's step finish (now, or as soon as they start). */
  release(sagaId: string, step: string): void {
    const id = `${sagaId}/${step}`;
    this.#released.add(id);
    this.#waiting.get(id)?.();
  }

  /** The steps of one saga whose `activity` finished its work, in the order they finished. */
  done(sagaId: string, activity: ActivityName): string[] {
    return this.of(sagaId, activity)
      .filter((e) => e.outcome === 'done')
      .map((e) => e.step);
  }

  /** Every record of one saga's `activity`, optionally of one step. */
  of(sagaId: string, activity: ActivityName, step?: string): Effect[] {
    return this.effects.filter(
      (e) => e.key.startsWith(`${sagaId}/`) && e.activity === activity && (step === undefined || e.step === step),
    );
  }

  /** Waits for `release`, heartbeating so that a cancellation reaches it; a cancellation rejects. */
  async #untilReleased(id: string): Promise<void> {
    const context = Context.current();
    const released = new Promise<void>((resolve) => this.#waiting.set(id, resolve));
    const heartbeats = setInterval(() => context.heartbeat(), 100);
    try {
      context.heartbeat();
      await Promise.race([released, context.cancelled]);
    } finally {
      clearInterval(heartbeats);
    }
  }

  async run(activity: ActivityName, { step, key, behaviour }: ActivityInput): Promise<string> {
    const { attempt } = Context.current().info;
    const record = (outcome: Effect['outcome']) =>
      this.effects.push({ activity, step, key, attempt, outcome, worker: this.worker });
    // Keys are `<sagaId>/<step>[/compensate]`, and test saga ids hold no slash.
    const id = `${key.split('/')[0]}/${step}`;
    record('started');
    switch (behaviour.kind) {
      case 'succeed':
        if (behaviour.delayMs) await delay(behaviour.delayMs);
        break;
      case 'fail':
        record('failed');
        throw ApplicationFailure.nonRetryable(`${activity} ${step} refused`, behaviour.type);
      case 'failTimes':
        if (attempt <= behaviour.times) {
          record('failed');
          throw ApplicationFailure.retryable(`${activity} ${step}: transient failure ${attempt}`, 'Unavailable');
        }
        break;
      case 'failUntilFixed':
        if (!this.#fixed.has(id)) {
          record('failed');
          throw ApplicationFailure.nonRetryable(`${activity} ${step} is broken`, 'Broken');
        }
        break;
      case 'sideEffectThenHang':
        record('done');
        await delay(behaviour.hangMs);
        return `${activity}:${step}`;
      case 'waitForRelease':
        if (!this.#released.has(id)) await this.#untilReleased(id);
        break;
    }
    record('done');
    return `${activity}:${step}`;
  }
}

export function createSagaTestActivities(service: TestService) {
  return {
    perform: (input: ActivityInput) => service.run('perform', input),
    undo: (input: ActivityInput) => service.run('undo', input),
  };
}

export type SagaTestActivities = ReturnType<typeof createSagaTestActivities>;
