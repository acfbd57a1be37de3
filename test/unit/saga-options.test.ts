/**
 * The saga's options (workflows/saga/options.ts): `millisecondsOf`, which reads a duration as Temporal's options
 * take it (a number of milliseconds, or text in the `ms` package's format) and refuses anything else, and the
 * defaults the options document; and the time a Nexus compensation gets under a bounded retry policy.
 */
import {
  defaultBackoff,
  defaultBoundedCompensationRetry,
  defaultRetryLimit,
  millisecondsOf,
} from '../../workflows/saga/options';
import { compensationTimeoutMs } from '../../workflows/saga/nexus';

describe('millisecondsOf', () => {
  it('takes a number as milliseconds already', () => {
    expect(millisecondsOf(0)).toBe(0);
    expect(millisecondsOf(1500)).toBe(1500);
  });

  it.each([
    ['500ms', 500],
    ['500', 500],
    ['1 second', 1000],
    ['30 secs', 30_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['5 minutes', 300_000],
    ['1 min', 60_000],
    ['2h', 7_200_000],
    ['3 hrs', 10_800_000],
    ['3 days', 259_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['2 weeks', 1_209_600_000],
    ['1y', 31_557_600_000],
    ['-1s', -1000],
  ])("reads '%s' as %d ms", (duration, milliseconds) => {
    expect(millisecondsOf(duration)).toBe(milliseconds);
  });

  it('reads units in any case, with spaces around the text', () => {
    expect(millisecondsOf('2H')).toBe(7_200_000);
    expect(millisecondsOf(' 10 Seconds ')).toBe(10_000);
  });

  it.each(['five', '', ' ', '5 fortnights', '1h30m', '5 minutes ago', 'ms', '1e3'])(
    "refuses '%s' with a TypeError that names the text",
    (duration) => {
      const read = () => millisecondsOf(duration);
      expect(read).toThrow(TypeError);
      expect(read).toThrow(`'${duration}' is not a duration such as '5 minutes'.`);
    },
  );
});

describe('the documented defaults', () => {
  it('backs off from 1 second, doubling, to 5 minutes at most', () => {
    expect(defaultBackoff).toEqual({
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
    });
    expect(millisecondsOf(defaultBackoff.initialInterval)).toBe(1000);
    expect(millisecondsOf(defaultBackoff.maximumInterval)).toBe(300_000);
  });

  it('asks an operator after 10 runs in a row, and bounds compensations under continue and escalate to 3 attempts', () => {
    expect(defaultRetryLimit).toBe(10);
    expect(defaultBoundedCompensationRetry).toEqual({ maximumAttempts: 3 });
  });
});

describe('compensationTimeoutMs: a Nexus compensation bounded by its retry policy', () => {
  it('gives each try 10 s and the backoff between tries', () => {
    // 6 tries: 60 s, and backoffs of 1, 2, 4, 8 and 16 s from the default 1 s doubling.
    expect(compensationTimeoutMs({ maximumAttempts: 6 })).toBe(91_000);
    expect(compensationTimeoutMs(defaultBoundedCompensationRetry)).toBe(33_000);
    // Backoffs capped at the maximum interval: 0.5 s, then 1 s.
    expect(compensationTimeoutMs({ maximumAttempts: 3, initialInterval: '500 ms', maximumInterval: '1 second' })).toBe(
      31_500,
    );
  });

  it('leaves an operation unbounded under a policy without a limit', () => {
    expect(compensationTimeoutMs(undefined)).toBeUndefined();
    expect(compensationTimeoutMs({})).toBeUndefined();
    expect(compensationTimeoutMs({ maximumAttempts: Number.POSITIVE_INFINITY })).toBeUndefined();
  });
});
