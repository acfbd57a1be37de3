/**
 * A project of someone else's that uses temporal-saga as an installed package: a trip saga (flight, hotel, car; the
 * car rental can fail), its activities, a worker, an express app mounting the trigger, a script that drives it all
 * on a running server, a test with the testing kit, and type-level checks of the public API. Its files are written
 * from here into a folder outside the repo; they import the framework only as `temporal-saga/…`.
 */

/** The project's files, by path. `versions`: the dependencies' versions, as this repo pins them. */
export function tripAppFiles(tarball: string, versions: Record<string, string>): Record<string, string> {
  const pinned = (...names: string[]) => Object.fromEntries(names.map((name) => [name, versions[name]!]));
  return {
    'package.json': JSON.stringify(
      {
        name: 'trip-app',
        private: true,
        type: 'commonjs',
        dependencies: {
          'temporal-saga': `file:${tarball}`,
          ...pinned(
            '@temporalio/activity',
            '@temporalio/client',
            '@temporalio/common',
            '@temporalio/proto',
            '@temporalio/testing',
            '@temporalio/worker',
            '@temporalio/workflow',
            'express',
            'zod',
          ),
        },
        devDependencies: pinned('typescript', '@types/express', '@types/node'),
        allowScripts: { esbuild: true, '@swc/core': true, protobufjs: true },
      },
      null,
      2,
    ),
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          types: ['node'],
          rootDir: 'src',
          outDir: 'dist',
          skipLibCheck: true,
        },
        include: ['src'],
      },
      null,
      2,
    ),
    'src/activities.ts': `
import { ApplicationFailure } from '@temporalio/activity';

export interface Trip {
  tripId: string;
  flight: string;
  hotel: string;
  car: string;
}

/** What the travel providers did, in order: the test reads it. */
export interface Ledger {
  done: string[];
}

/** Each booking is idempotent on its key; undoing one that was never made does nothing. */
export function createTravelActivities(ledger: Ledger) {
  const held = new Map<string, string>();
  const book = (key: string, what: string) => {
    if (!held.has(key)) {
      held.set(key, what);
      ledger.done.push(\`book \${what}\`);
    }
    return { reference: key };
  };
  const undo = (key: string) => {
    const what = held.get(key);
    if (what === undefined) return;
    held.delete(key);
    ledger.done.push(\`undo \${what}\`);
  };
  return {
    async bookFlight(input: { key: string; flight: string }) {
      return book(input.key, \`flight \${input.flight}\`);
    },
    async cancelFlight(input: { key: string }) {
      undo(input.key);
    },
    async bookHotel(input: { key: string; hotel: string }) {
      return book(input.key, \`hotel \${input.hotel}\`);
    },
    async cancelHotel(input: { key: string }) {
      undo(input.key);
    },
    async rentCar(input: { key: string; car: string }) {
      if (input.car === 'sold-out') {
        throw ApplicationFailure.create({ type: 'NoCarsLeft', message: 'No car is left.', nonRetryable: true });
      }
      return book(input.key, \`car \${input.car}\`);
    },
    async returnCar(input: { key: string }) {
      undo(input.key);
    },
  };
}

export type TravelActivities = ReturnType<typeof createTravelActivities>;
`,
    'src/workflows.ts': `
import { proxyActivities } from '@temporalio/workflow';
import { runSaga, sagaActivities } from 'temporal-saga/workflow';
import type { TravelActivities, Trip } from './activities';

export const TripStep = { BookFlight: 'bookFlight', BookHotel: 'bookHotel', RentCar: 'rentCar' } as const;
export type TripStep = (typeof TripStep)[keyof typeof TripStep];

const options = { startToCloseTimeout: '10 seconds', retry: { initialInterval: '100 milliseconds' } } as const;
const travel = sagaActivities<TravelActivities>(options);
// The SDK's own proxy works in steps too: the saga's interceptor gives its calls the step's id and summary.
const cars = proxyActivities<TravelActivities>(options);

export function bookTrip(trip: Trip) {
  return runSaga(
    async (saga) => {
      const flight = await saga.step(TripStep.BookFlight, {
        summary: \`Fly \${trip.flight}\`,
        action: ({ idempotencyKey }) => travel.bookFlight({ key: idempotencyKey, flight: trip.flight }),
        compensate: ({ actionKey }) => travel.cancelFlight({ key: actionKey }),
      });
      const hotel = await saga.step(TripStep.BookHotel, {
        action: ({ idempotencyKey }) => travel.bookHotel({ key: idempotencyKey, hotel: trip.hotel }),
        compensate: ({ actionKey }) => travel.cancelHotel({ key: actionKey }),
      });
      const car = await saga.step(TripStep.RentCar, {
        action: ({ idempotencyKey }) => cars.rentCar({ key: idempotencyKey, car: trip.car }),
        compensate: ({ actionKey }) => cars.returnCar({ key: actionKey }),
      });
      return { flight, hotel, car };
    },
    { steps: Object.values(TripStep) },
  );
}
`,
    'src/app.ts': `
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import express from 'express';
import type { SagaTrigger } from 'temporal-saga/express';
import { createSagaRouter } from 'temporal-saga/express';
import { z } from 'zod';
import { bookTrip } from './workflows';

export const TripIdKey = defineSearchAttributeKey('TripId', SearchAttributeType.KEYWORD);
export const taskQueue = 'trips';

const TripRequest = z.strictObject({ flight: z.string().min(1), hotel: z.string().min(1), car: z.string().min(1) });

export const tripTrigger: SagaTrigger<typeof TripRequest, typeof bookTrip> = {
  resource: 'trips',
  singular: 'trip',
  input: TripRequest,
  workflow: bookTrip,
  taskQueue,
  args: (request, tripId) => [{ tripId, ...request }],
  summary: (request) => \`Trip to \${request.hotel}\`,
  searchAttributes: (_request, tripId) => [{ key: TripIdKey, value: tripId }],
};

/** An app of the project's own, with the trip routes mounted among its routes. */
export function createTripApp(client: Client) {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.send('hello');
  });
  app.use(
    '/trips',
    createSagaRouter(tripTrigger, {
      client,
      // The app's own authentication: here, a header naming an operator.
      authenticate: async (req) => ({ subject: req.get('x-user') ?? 'nobody', operator: req.get('x-user') === 'ops' }),
      waitTimeoutMs: 5_000,
      temporalTimeoutMs: 5_000,
    }),
  );
  return app;
}
`,
    'src/main.ts': `
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { sagaHandle } from 'temporal-saga/client';
import { registerSearchAttributes, sagaInterceptorModules, sagaSearchAttributeKeys } from 'temporal-saga/worker';
import type { Ledger } from './activities';
import { createTravelActivities } from './activities';
import { createTripApp, taskQueue, TripIdKey } from './app';
import type { bookTrip, TripStep } from './workflows';

async function main() {
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const registered = await registerSearchAttributes(connection, namespace, [...sagaSearchAttributeKeys, TripIdKey]);
  const ledger: Ledger = { done: [] };
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    namespace,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createTravelActivities(ledger),
    interceptors: { workflowModules: sagaInterceptorModules },
  });
  const server = createTripApp(client).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const api = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(api + path, { ...init, headers: { 'x-user': 'ops', 'content-type': 'application/json' } });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
  };

  const report = await worker.runUntil(async () => {
    const invalid = await call('/trips', { method: 'POST', body: JSON.stringify({ flight: 'LIS' }) });
    const started = await call('/trips', {
      method: 'POST',
      body: JSON.stringify({ flight: 'LIS-NYC', hotel: 'Harbor Inn', car: 'sold-out' }),
    });
    const tripId = (started.body as { tripId: string }).tripId;
    const trip = sagaHandle<typeof bookTrip, TripStep>(client, \`trip-\${tripId}\`);
    const failure = await trip.result().then(
      () => undefined,
      (error: Error & { cause?: { type?: string } }) => error.cause?.type,
    );
    const read = await call(\`/trips/\${tripId}\`);
    const history = await call(\`/trips/\${tripId}/history\`);
    return {
      registered: registered.added,
      invalid,
      started: started.status,
      failure,
      state: await trip.state(),
      history: (await trip.history()).timeline,
      read,
      historyRoute: history,
      ledger: ledger.done,
    };
  });
  server.close();
  console.log(JSON.stringify(report));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`,
    'src/trip.test.ts': `
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject, SagaTestBench } from 'temporal-saga/testing';
import type { Ledger } from './activities';
import { createTravelActivities } from './activities';
import type { TripStep } from './workflows';
import { bookTrip } from './workflows';

let env: TestWorkflowEnvironment;
let bench: SagaTestBench;
const ledger: Ledger = { done: [] };
const trip = (tripId: string) => ({ tripId, flight: 'LIS-NYC', hotel: 'Harbor Inn', car: 'compact' });

before(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS,
    namespace: process.env.TEMPORAL_NAMESPACE,
  });
  bench = await SagaTestBench.start({
    env,
    workflowsPath: require.resolve('./workflows'),
    activities: createTravelActivities(ledger),
  });
});
after(async () => {
  await bench?.stop();
  await env?.teardown();
});

test('a trip books its flight, hotel and car', async () => {
  const run = await bench.run(bookTrip, { args: [trip('t-1')] });
  const path = await run.ended();
  assert.deepEqual(path.steps, ['bookFlight', 'bookHotel', 'rentCar']);
  assert.deepEqual(path.compensations, []);
  assert.equal(path.status, 'completed');
});

test('a car rental that fails undoes the hotel, then the flight', async () => {
  const run = await bench.run<typeof bookTrip, TripStep>(bookTrip, {
    args: [trip('t-2')],
    inject: { rentCar: inject.businessFailure('NoCarsLeft') },
  });
  const path = await run.ended();
  assert.deepEqual(path.steps, ['bookFlight', 'bookHotel']);
  assert.deepEqual(path.failedSteps, ['rentCar']);
  assert.deepEqual(path.compensations, ['bookHotel', 'bookFlight']);
  assert.equal(path.status, 'compensated');
  assert.equal(path.failure?.type, 'NoCarsLeft');
});

test('a trip cancelled while its hotel books undoes the flight once the booking has stopped', async () => {
  const run = await bench.run<typeof bookTrip, TripStep>(bookTrip, {
    args: [trip('t-3')],
    inject: { bookHotel: inject.cancellation('plans changed') },
  });
  const path = await run.ended();
  assert.deepEqual(path.steps, ['bookFlight']);
  assert.deepEqual(path.failedSteps, ['bookHotel']);
  assert.deepEqual(path.compensations, ['bookHotel', 'bookFlight']);
  assert.equal(path.status, 'compensated');
  assert.equal(path.failure?.type, 'SagaCancelled');
});
`,
    'src/types.ts': `
// Type-level checks of the public API: each line under @ts-expect-error must fail to compile, or tsc fails here.
import type { SagaHandle } from 'temporal-saga/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SagaTestBench } from 'temporal-saga/testing';
import type { bookTrip, TripStep } from './workflows';

export async function typeChecks(trip: SagaHandle<typeof bookTrip, TripStep>, bench: SagaTestBench) {
  await trip.waitForStep('bookHotel', { timeoutMs: 1 });
  // @ts-expect-error a step the trip does not have
  await trip.waitForStep('bookTrain', { timeoutMs: 1 });
  // @ts-expect-error a resolution names a step of the trip
  await trip.resolve({ step: 'bookTrain', action: 'skip', reason: 'no train' });
  const result: { car: { reference: string } } = await trip.result();
  // @ts-expect-error the arguments are the workflow's own
  await bench.run<typeof bookTrip, TripStep>('bookTrip', { args: [{ tripId: 't' }] });
  // @ts-expect-error injections name steps of the saga
  await bench.run<typeof bookTrip, TripStep>('bookTrip', { args: [], inject: { bookTrain: undefined } });
  const env: TestWorkflowEnvironment | undefined = undefined;
  return { result, env };
}
`,
  };
}
