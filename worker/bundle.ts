import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter';

/**
 * The workflow bundle: the workflows and what runs beside them in the sandbox (the failure converter, the tracing
 * interceptors whose spans leave through the worker's sink, `worker/worker.ts`). There are two, which differ only in
 * whether a run the worker starts is traced (`workflows/tracing.ts`): a worker loads the one for its tracing. Built
 * once ahead of time (the image build, the test setup) and loaded by the worker through `workflowBundle`; the worker
 * bundles from source with the same options when it is given no bundle.
 */
export function workflowBundleOptions(tracing: boolean) {
  return {
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    workflowInterceptorModules: [require.resolve(tracing ? '../workflows/tracing-on' : '../workflows/tracing-off')],
  } satisfies Partial<BundleOptions>;
}

/** Where the bundle for tracing on lies beside the one for tracing off: `workflow-bundle.js` → `…traced.js`. */
export const tracedBundlePath = (file: string): string => file.replace(/(\.js)?$/, '.traced.js');

/** Writes the bundle for tracing off to `file`, or with `tracing`, the one for tracing on to its traced path. */
export async function writeWorkflowBundle(
  file: string,
  options: { tracing?: boolean; logger?: BundleOptions['logger'] } = {},
): Promise<string> {
  const { tracing = false, logger } = options;
  const target = tracing ? tracedBundlePath(file) : file;
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(tracing), ...(logger ? { logger } : {}) });
  mkdirSync(path.dirname(target), { recursive: true });
  // Whole or not at all: a worker loading it meanwhile (another test file's) never reads half a bundle.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, target);
  return target;
}

// `node worker/bundle.js <file>`: the image build prebuilds both bundles with it (`<file>` and its traced path).
if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: bundle <output file>');
    process.exit(2);
  }
  (async () => {
    for (const tracing of [false, true]) await writeWorkflowBundle(path.resolve(file), { tracing });
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
