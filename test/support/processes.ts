import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/env';
import { workerNodeFlags } from '../../worker/memory';

/** What the API and the worker log once they serve (their JSON lines' `msg`). */
export const API_READY = /"msg":"bansou api: listening"/;
export const WORKER_READY = /"msg":"bansou worker: polling"/;

export type RunningProcess = {
  name: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
};

/**
 * Starts one of bansou's entry points (`api/main.ts`, `worker/main.ts`) as its own process, exactly as
 * `npm run api` / `npm run worker` do, and waits until its output matches `ready`. With `compiled`, the root of a
 * compiled copy of the sources (`bench/compiled.ts`): the entry's JavaScript there, by plain `node`, as the images run it.
 */
export async function startProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
  compiled?: string,
): Promise<RunningProcess> {
  // `node --import tsx`: one process, so SIGKILL really kills the program (a `tsx` launcher would leave it running).
  // The worker starts with the heap limit of its memory budget, as everywhere it is started (`worker/memory.ts`).
  const flags = entry === 'worker/main.ts' ? workerNodeFlags(env) : [];
  const program = compiled
    ? [path.join(compiled, entry.replace(/\.ts$/, '.js'))]
    : ['--import', 'tsx', path.join(PROJECT_ROOT, entry)];
  const child = spawn(process.execPath, [...flags, ...program], {
    cwd: compiled ?? PROJECT_ROOT,
    // The worker's metrics port: any free one unless the test names it (engineers' test runs share the machine).
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (ready.test(output)) {
        clearTimeout(timer);
        // Once ready, the output is only kept, not searched again (a busy process writes a lot of it).
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`));
    });
  });

  return {
    name,
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The API and a worker with one environment, as an operator starts them; both serving once it resolves. */
export function startApiAndWorker(env: Record<string, string>): Promise<RunningProcess[]> {
  return Promise.all([
    startProcess('api', 'api/main.ts', env, API_READY),
    startProcess('worker', 'worker/main.ts', env, WORKER_READY),
  ]);
}
