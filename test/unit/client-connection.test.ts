import { lazyConnection } from '../../temporal/client-connection';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a client connection closed while Temporal is unreachable', () => {
  it('waits for the retry the SDK has already scheduled, so none is made on a closed channel', async () => {
    // Nothing listens on port 1: every attempt fails at once and the SDK schedules the next one on its own timer.
    const connection = lazyConnection({ address: '127.0.0.1:1', connectTimeout: 200 });
    const call = connection.withDeadline(Date.now() + 20_000, () => connection.workflowService.getSystemInfo({}));
    const outcome = call.then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await sleep(1500); // a few attempts in: the next retry is due within one backoff

    // With the SDK's own connection, the retry made after this close throws "Channel has been shut down" from its
    // timer, which fails this file ("Test suite failed to run").
    await connection.close();
    expect(await outcome).toMatch(/UNAVAILABLE/);
    await sleep(6000); // longer than the SDK's longest backoff (5 s with jitter): any stray retry would have fired
  }, 20_000);
});
