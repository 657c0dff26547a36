import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter';

/**
 * The workflow bundle: the workflows and what runs beside them in the sandbox (the failure converter, the tracing
 * interceptors whose spans leave through the worker's sink, `worker/worker.ts`). Built once
 * ahead of time (the image build, the test setup) and loaded by the worker through `workflowBundle`; the worker
 * bundles from source with the same options when it is given no bundle.
 */
export const WORKFLOW_BUNDLE_OPTIONS = {
  workflowsPath: require.resolve('../workflows'),
  failureConverterPath: FAILURE_CONVERTER_PATH,
  workflowInterceptorModules: [require.resolve('../workflows/tracing')],
} satisfies Partial<BundleOptions>;

/** Writes the bundle to `file`. */
export async function writeWorkflowBundle(file: string, logger?: BundleOptions['logger']): Promise<void> {
  const { code } = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, ...(logger ? { logger } : {}) });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
}

// `node worker/bundle.js <file>`: the image build prebuilds the bundle with it.
if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: bundle <output file>');
    process.exit(2);
  }
  writeWorkflowBundle(path.resolve(file)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
