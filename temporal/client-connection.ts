import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
  type GrpcRetryOptions,
} from '@temporalio/client';

/**
 * A client connection that can be closed while Temporal is unreachable.
 *
 * The SDK retries a failed gRPC call after a sleep (up to 5 s, with jitter), on a timer of its own that outlives the
 * caller: a call the API gave up on at its deadline may still retry seconds later. A retry made after the channel was
 * closed throws ("Channel has been shut down") from that timer, out of any caller's reach, and ends the process. So
 * these connections keep the SDK's retry policy but note when the last scheduled retry fires; closing stops new
 * retries from being scheduled and waits for those already scheduled (at most one backoff) before it closes the
 * channel.
 */
class RetrySchedule {
  private closing = false;
  private lastFiresAt = 0;
  private readonly policy: GrpcRetryOptions = defaultGrpcRetryOptions();

  readonly interceptor = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, status) => !this.closing && this.policy.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const delayMs = this.policy.delayFunction(attempt, status);
      this.lastFiresAt = Math.max(this.lastFiresAt, Date.now() + delayMs);
      return delayMs;
    },
  });

  /** Stops scheduling retries and resolves once every retry already scheduled has been made. */
  async settle(): Promise<void> {
    this.closing = true;
    const waitMs = this.lastFiresAt - Date.now();
    // A little past the timer, so the retry it fires has started its call on the still-open channel.
    if (waitMs > -MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs) + MARGIN_MS));
  }
}

const MARGIN_MS = 50;

function settledOnClose(connection: Connection, retries: RetrySchedule): Connection {
  const close = connection.close.bind(connection);
  connection.close = async () => {
    await retries.settle();
    await close();
  };
  return connection;
}

/** A connection made on first use (a process can start while Temporal is still down), safe to close at any time. */
export function lazyConnection(options: ConnectionOptions): Connection {
  const retries = new RetrySchedule();
  return settledOnClose(Connection.lazy({ ...options, interceptors: [retries.interceptor] }), retries);
}

/** A connection made now (fails if Temporal cannot be reached), safe to close at any time. */
export async function openConnection(options: ConnectionOptions): Promise<Connection> {
  const retries = new RetrySchedule();
  return settledOnClose(await Connection.connect({ ...options, interceptors: [retries.interceptor] }), retries);
}
