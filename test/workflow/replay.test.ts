import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workerTracing } from '../../worker/worker';
import { testEnv } from '../support/env';
import { REPLAYED_DIR } from '../support/histories';
import { testDataConverter } from '../support/temporal';

/**
 * Every history under test/histories/ (recorded from real runs of earlier versions of the workflow) must replay
 * without a nondeterminism error on the current code. A change to a running workflow needs `patched()` to pass this.
 */
const files = readdirSync(REPLAYED_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('%s replays on the current workflow code', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(REPLAYED_DIR, file), 'utf8')));
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: { codePath: testEnv().BANSOU_TEST_WORKFLOW_BUNDLE },
          dataConverter: testDataConverter(),
          sinks: workerTracing().sinks,
        },
        history,
        file,
      ),
    ).resolves.toBeUndefined();
  });
});
