import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into an encoded payload instead of clear text, so the payload codec encrypts
 * them too (a refused email's message may carry an address). Loaded by path: the workflow bundle includes it.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
