/**
 * A bound on the SMTP transactions one worker has in flight. A worker that dies can only have duplicated the emails
 * whose transactions were under way (accepted by the server, not yet recorded as sent), so this bounds what one crash
 * can duplicate; sends beyond it wait their turn before any transaction begins.
 */
/** Transactions in flight per worker unless `MAIL_MAX_CONCURRENT_SENDS` says otherwise. */
export const DEFAULT_CONCURRENT_SENDS = 4;

export type SendSlots = {
  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  readonly inUse: number;
};

export function createSendSlots(size: number): SendSlots {
  let inUse = 0;
  const waiting: (() => void)[] = [];
  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A freed slot passes straight to the next in line.
      const next = waiting.shift();
      if (next) next();
      else inUse -= 1;
    };
  };
  return {
    get inUse() {
      return inUse;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (inUse < size) {
        inUse += 1;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', abort);
          resolve(releaser());
        };
        const abort = () => {
          waiting.splice(waiting.indexOf(grant), 1);
          reject(signal!.reason);
        };
        waiting.push(grant);
        signal?.addEventListener('abort', abort, { once: true });
      });
    },
  };
}
