/** The chaos run's options, from its command line: `npm run test:chaos -- --orders 40 --postgres`. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { testPostgresUrlVariable } from '../postgres';

const positive = z.coerce.number().positive();

const FlagsSchema = z.strictObject({
  orders: z.coerce.number().int().min(1).default(500),
  rate: positive.default(4),
  seed: z.coerce.number().int().default(1),
  'cancel-share': z.coerce.number().min(0).max(1).default(0.25),
  'fault-every': positive.optional(),
  down: positive.default(3),
  'settle-timeout': positive.default(300),
  postgres: z.boolean().default(false),
  keep: z.boolean().default(false),
});

export interface ChaosOptions {
  /** Orders placed. @default 500 */
  orders: number;
  /** Orders placed per second, at a fixed pace. @default 4 */
  rate: number;
  /** Seeds the mix of paths and the cancellations (not the faults' timing, which is the clock's). @default 1 */
  seed: number;
  /** The share of orders the client cancels. @default 0.25 */
  cancelShare: number;
  /**
   * Seconds from one fault to the next. @default the placing time over two rounds of every fault, within 3 to 10 s
   */
  faultEverySeconds: number;
  /** Seconds a killed worker stays down before it is restarted (the dev server: two thirds of it). @default 3 */
  downSeconds: number;
  /** How long the sagas may take to end once the last order is placed, in seconds. @default 300 */
  settleTimeoutSeconds: number;
  /** The PostgreSQL server of the services' databases (`--postgres`: `TEST_POSTGRES_URL`); unset: SQLite files. */
  postgresUrl: string | undefined;
  /** Keep the run's folder (the dev server's file, the SQLite databases, the logs). @default only when the run fails */
  keep: boolean;
}

export const usage = `npm run test:chaos -- [--orders 500] [--rate 4] [--seed 1] [--cancel-share 0.25] [--fault-every <s>]
                       [--down 3] [--settle-timeout 300] [--postgres] [--keep]`;

/** The faults of one round: each of the four workers, the dev server, and on PostgreSQL the connections. */
export function faultsPerRound(postgres: boolean): number {
  return postgres ? 6 : 5;
}

/** Reads the options from `args`; throws with the usage on a bad flag or value. */
export function readOptions(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChaosOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      orders: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'cancel-share': { type: 'string' },
      'fault-every': { type: 'string' },
      down: { type: 'string' },
      'settle-timeout': { type: 'string' },
      postgres: { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`${issues}\nusage: ${usage}`);
  }
  const flags = parsed.data;
  const postgresUrl = flags.postgres ? env[testPostgresUrlVariable] : undefined;
  if (flags.postgres && !postgresUrl) {
    throw new Error(
      `--postgres needs ${testPostgresUrlVariable}: eval "$(scripts/postgres/start-local.sh)" starts a local server and sets it.`,
    );
  }
  const placingSeconds = flags.orders / flags.rate;
  const faultEverySeconds =
    flags['fault-every'] ?? Math.min(10, Math.max(3, placingSeconds / (2 * faultsPerRound(flags.postgres))));
  return {
    orders: flags.orders,
    rate: flags.rate,
    seed: flags.seed,
    cancelShare: flags['cancel-share'],
    faultEverySeconds,
    downSeconds: flags.down,
    settleTimeoutSeconds: flags['settle-timeout'],
    postgresUrl,
    keep: flags.keep,
  };
}
