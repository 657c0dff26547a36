import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Encrypts every payload bansou hands to Temporal (workflow inputs, signals, updates, activity arguments and
 * results, memos, failure messages) with AES-256-GCM, so Temporal's database and its UI hold no personal data in
 * clear. The whole payload, its own metadata included, is the plaintext; the new payload says only that it is
 * encrypted and with which key.
 *
 * Keys rotate: the first key encrypts, every key decrypts (a payload names its key id). Payloads without the
 * encrypted encoding (histories recorded before encryption) pass through unchanged.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export type PayloadKey = { id: string; key: Buffer };

/** Raised when a payload cannot be decrypted: an unknown key id, or data that is not what the key encrypted. */
export class PayloadDecryptionError extends ValueError {
  constructor(message: string) {
    super(message);
    // ValueError's name is read-only (the SDK's instanceof marker), so it is redefined rather than assigned.
    Object.defineProperty(this, 'name', { value: 'PayloadDecryptionError' });
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(keys: PayloadKey[]) {
    if (!keys.length) throw new ValueError('The encryption codec needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new ValueError(`Key ${id} must be 32 bytes (AES-256)`);
    }
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.current = keys[0]!;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      // The key id is authenticated too: a payload relabelled with another key id does not decrypt.
      cipher.setAAD(Buffer.from(this.current.id));
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.current.id),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new PayloadDecryptionError('An encrypted payload names no key id');
      const key = this.byId.get(keyId);
      if (!key) {
        throw new PayloadDecryptionError(`A payload is encrypted with key "${keyId}", which is not configured`);
      }
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) {
        throw new PayloadDecryptionError(`A payload encrypted with key "${keyId}" is too short`);
      }
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadDecryptionError(`A payload does not decrypt with key "${keyId}" (altered, or another key)`);
      }
      return temporal.api.common.v1.Payload.decode(plaintext);
    });
  }
}
