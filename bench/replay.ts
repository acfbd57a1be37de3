/**
 * replay: how long replaying each recorded scenario's history takes (what a worker pays to rebuild a saga after a
 * restart, and what the pre-deploy check pays per saga) against how long that saga took live.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import type { FixtureEntry } from '../scripts/record-histories';
import { fixtureKeyFile, historiesDir } from '../scripts/record-histories';
import { sagaInterceptorModules } from '../workers/saga';
import type { BenchmarkResult } from './report';
import { installQuietRuntime, percentile } from './report';

export async function replay({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  const repetitions = quick ? 1 : 20;
  const manifest = JSON.parse(readFileSync(path.join(historiesDir, 'manifest.json'), 'utf8')) as FixtureEntry[];
  const tag = manifest.at(-1)!.tag;
  // Histories recorded with encryption decrypt with the fixtures' key; older ones hold plain payloads.
  const { dataConverter } = await loadPayloadEncryption(
    loadConfig({ ...process.env, PAYLOAD_KEYS: '', PAYLOAD_KEY_FILE: fixtureKeyFile }),
  );
  const bundles = {
    placeOrder: await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      workflowInterceptorModules: sagaInterceptorModules,
      logger: new DefaultLogger('WARN'),
    }),
    scriptedSaga: await bundleWorkflowCode({
      workflowsPath: require.resolve('../test/sagas/workflows'),
      workflowInterceptorModules: sagaInterceptorModules,
      logger: new DefaultLogger('WARN'),
    }),
  };
  const rows: BenchmarkResult['rows'] = [];
  for (const entry of manifest.filter((candidate) => candidate.tag === tag)) {
    const json = JSON.parse(readFileSync(path.join(historiesDir, entry.file), 'utf8')) as {
      events: { eventTime: string }[];
    };
    const events = json.events;
    // Event times are RFC 3339 in the CLI's JSON: from the first event to the last one recorded.
    const liveMs = Date.parse(events.at(-1)!.eventTime) - Date.parse(events[0]!.eventTime);
    const times: number[] = [];
    for (let run = 0; run < repetitions; run++) {
      const began = performance.now();
      await Worker.runReplayHistory(
        { workflowBundle: bundles[entry.workflowType], dataConverter, replayName: entry.scenario },
        json,
        entry.workflowId,
      );
      times.push(performance.now() - began);
    }
    const replayMs = percentile(times, 50);
    rows.push({
      scenario: entry.scenario,
      events: events.length,
      liveMs,
      replayMedianMs: replayMs,
      replayShareOfLive: `${((replayMs / liveMs) * 100).toFixed(1)} %`,
    });
  }
  return {
    name: 'replay',
    parameters: { tag, repetitions, quick },
    rows,
    plot: {
      title: {
        text: 'Replaying a recorded history against its live run',
        subtitle: `median of ${repetitions} replays`,
      },
      data: { values: rows },
      transform: [{ fold: ['liveMs', 'replayMedianMs'], as: ['measure', 'ms'] }],
      mark: 'bar',
      encoding: {
        y: { field: 'scenario', type: 'nominal', title: null, axis: { labelLimit: 320 } },
        yOffset: { field: 'measure', type: 'nominal' },
        x: { field: 'ms', type: 'quantitative', title: 'ms' },
        color: {
          field: 'measure',
          type: 'nominal',
          title: null,
          legend: { orient: 'top', labelExpr: "datum.label === 'liveMs' ? 'live run' : 'replay'" },
        },
      },
      width: 380,
    },
    verdicts: [
      {
        claim: 'each saga replays faster than it ran live',
        measured: rows.map((row) => `${row.scenario} ${String(row.replayShareOfLive)}`).join(', '),
        holds: rows.every((row) => Number(row.replayMedianMs) < Number(row.liveMs)),
      },
    ],
  };
}
