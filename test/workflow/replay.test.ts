import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workerTracing } from '../../worker/worker';
import { testEnv } from '../support/env';
import { REPLAYED_DIR } from '../support/histories';
import { testDataConverter, writeTracedTestBundle } from '../support/temporal';

/**
 * Every history under test/histories/ (recorded from real runs of earlier versions of the workflow) must replay
 * without a nondeterminism error on the current code. A change to a running workflow needs `patched()` to pass this.
 * Each replays on both bundles (`worker/bundle.ts`): a worker with tracing off and one with tracing on must both
 * carry every run, traced or not.
 */
const files = readdirSync(REPLAYED_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replay of recorded histories', () => {
  const bundles: Record<'tracing off' | 'tracing on', () => string> = {
    'tracing off': () => testEnv().BANSOU_TEST_WORKFLOW_BUNDLE,
    'tracing on': () => tracedBundle,
  };
  let tracedBundle: string;
  beforeAll(async () => {
    tracedBundle = await writeTracedTestBundle();
  });

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  const names = Object.keys(bundles) as (keyof typeof bundles)[];
  const cases = files.flatMap((file) => names.map((bundle) => [file, bundle] as const));
  it.each(cases)('%s replays on the current workflow code (%s)', async (file, bundle) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(REPLAYED_DIR, file), 'utf8')));
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: { codePath: bundles[bundle]() },
          dataConverter: testDataConverter(),
          sinks: workerTracing().sinks,
        },
        history,
        file,
      ),
    ).resolves.toBeUndefined();
  });
});
