/**
 * Type-level tests of the framework's public API. Each line under `@ts-expect-error` must fail to compile, and the
 * lines without it must compile: ts-jest compiles this file with the type checker (so does `npm run typecheck`) and
 * fails it otherwise. The sagas here are compiled, never run: no server.
 */
import type { SagaHandle } from '../../api/saga';
import type { SagaTestBench } from '../../workers/saga/testing';
import { runSaga } from '../../workflows/saga';

const TripStep = { BookFlight: 'bookFlight', BookHotel: 'bookHotel', RentCar: 'rentCar' } as const;
type TripStep = (typeof TripStep)[keyof typeof TripStep];

const booked = async () => 'booked';

/** A saga whose steps are declared once, in `steps`. */
function bookTrip() {
  return runSaga(
    async (saga) => {
      await saga.step('bookFlight', { action: booked });
      await saga.parallel([
        { name: 'bookHotel', action: booked },
        { name: 'rentCar', action: booked },
      ]);
      return saga.idempotencyKeyOf('bookFlight');
    },
    { steps: Object.values(TripStep) },
  );
}

describe("the public API's types", () => {
  it('refuse a step name the saga did not declare, in a step, a parallel group and a key lookup', () => {
    void (() =>
      runSaga(
        async (saga) => {
          // @ts-expect-error a misspelt step
          await saga.step('bookFlihgt', { action: booked });
          // @ts-expect-error a step of a parallel group the saga did not declare
          await saga.parallel([{ name: 'bookTrain', action: booked }]);
          // @ts-expect-error a key of a step the saga did not declare
          return saga.idempotencyKeyOf('bookTrain');
        },
        { steps: ['bookFlight', 'bookHotel'] },
      ));
  });

  it('take any step name from a saga that declares none', () => {
    void (() => runSaga(async (saga) => saga.step(`step-${Math.random()}`, { action: booked })));
  });

  it('type parallel results in order', () => {
    void (() =>
      runSaga(async (saga) => {
        const [flight, seats]: [string, number] = await saga.parallel([
          { name: 'flight', action: booked },
          { name: 'seats', action: async () => 2 },
        ]);
        return { flight, seats };
      }));
  });

  it("narrow a saga handle's step names and result to the saga's", () => {
    void (async (trip: SagaHandle<typeof bookTrip, TripStep>) => {
      await trip.waitForStep('bookHotel', { timeoutMs: 1 });
      // @ts-expect-error a step the trip does not have
      await trip.waitForStep('bookTrain', { timeoutMs: 1 });
      // @ts-expect-error a resolution names a step of the trip
      await trip.resolve({ step: 'bookTrain', action: 'skip', reason: 'no train' });
      const key: string = await trip.result();
      // @ts-expect-error the result is the saga's
      const wrong: number = await trip.result();
      return { key, wrong };
    });
  });

  it("check a test run's arguments and injections against the saga", () => {
    void (async (bench: SagaTestBench) => {
      await bench.run<typeof bookTrip, TripStep>(bookTrip, { args: [] });
      // @ts-expect-error the saga takes no arguments
      await bench.run<typeof bookTrip, TripStep>(bookTrip, { args: ['x'] });
      // @ts-expect-error injections name steps of the saga
      await bench.run<typeof bookTrip, TripStep>(bookTrip, { args: [], inject: { bookTrain: undefined } });
    });
  });
});
