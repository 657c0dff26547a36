import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KeyRing, SealedValueError, type SealedValueProblem, type SealingKey } from '../config/key-ring';

/**
 * Encrypts every payload bansou hands to Temporal (workflow inputs, signals, updates, activity arguments and
 * results, memos, failure messages) with AES-256-GCM, so Temporal's database and its UI hold no personal data in
 * clear. The whole payload, its own metadata included, is the plaintext; the new payload says only that it is
 * encrypted and with which key.
 *
 * Keys rotate: the first key encrypts, every key decrypts (a payload names its key id); the cipher is the key ring's
 * (`config/key-ring.ts`), the one bansou seals everything with. Payloads without the encrypted encoding (histories
 * recorded before encryption) pass through unchanged.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

export type PayloadKey = SealingKey;

/** Raised when a payload cannot be decrypted: an unknown key id, or data that is not what the key encrypted. */
export class PayloadDecryptionError extends ValueError {
  constructor(message: string) {
    super(message);
    // ValueError's name is read-only (the SDK's instanceof marker), so it is redefined rather than assigned.
    Object.defineProperty(this, 'name', { value: 'PayloadDecryptionError' });
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** The codec's words for why a payload does not open. */
const PROBLEMS: Record<SealedValueProblem, (keyId: string) => string> = {
  unknown_key: (keyId) => `A payload is encrypted with key "${keyId}", which is not configured`,
  too_short: (keyId) => `A payload encrypted with key "${keyId}" is too short`,
  altered: (keyId) => `A payload does not decrypt with key "${keyId}" (altered, or another key)`,
  not_sealed_text: (keyId) => `A payload encrypted with key "${keyId}" is not sealed bytes`,
};

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: KeyRing;

  constructor(keys: PayloadKey[]) {
    try {
      this.keys = new KeyRing(keys);
    } catch (error) {
      throw new ValueError((error as Error).message);
    }
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // The whole payload, its own metadata included, is the plaintext.
      const { keyId, data } = this.keys.seal(temporal.api.common.v1.Payload.encode(payload).finish());
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new PayloadDecryptionError('An encrypted payload names no key id');
      try {
        return temporal.api.common.v1.Payload.decode(this.keys.open(keyId, payload.data ?? new Uint8Array()));
      } catch (error) {
        if (error instanceof SealedValueError) throw new PayloadDecryptionError(PROBLEMS[error.problem](keyId));
        throw error;
      }
    });
  }
}
