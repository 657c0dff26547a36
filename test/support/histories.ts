import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { PROJECT_ROOT } from '../../dev/env';

/** Where tests write the histories they produce; `test/histories/` keeps the ones replayed in CI. */
export const RECORDED_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'histories');
export const REPLAYED_DIR = path.join(PROJECT_ROOT, 'test', 'histories');

/** The ids of the patches a run's history records (its `core_patch` markers). */
export const patchesIn = (history: temporal.api.history.v1.IHistory): string[] =>
  (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
  });

/** Writes each run's history as JSON (the format `Worker.runReplayHistory` and the Temporal UI export use). */
export function saveHistories(
  name: string,
  runs: { runId: string; history: temporal.api.history.v1.IHistory }[],
): void {
  mkdirSync(RECORDED_DIR, { recursive: true });
  runs.forEach(({ history }, i) => {
    writeFileSync(path.join(RECORDED_DIR, `${name}.run${i + 1}.json`), historyToJSON(history));
  });
}
