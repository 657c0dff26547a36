import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, type PayloadKey } from './payload-codec';

/** The failure converter's module, by path: the worker loads it, and the workflow bundle is built with it. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one data converter of every bansou process that talks to Temporal (worker, API, CLI, tests): payloads
 * encrypted with `keys` (the first encrypts), failure messages encoded so they are encrypted too.
 */
export function dataConverter(keys: PayloadKey[]): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
