import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The one cipher bansou encrypts with: AES-256-GCM under the keys of `PAYLOAD_ENCRYPTION_KEYS`, each named by its id.
 * The first key seals; every listed key opens, so a new key goes first and the old ones stay listed while what they
 * sealed is kept. What it seals: every payload handed to Temporal (`temporal/payload-codec.ts`) and the values kept in
 * Postgres that must not sit in clear (stored idempotent answers, webhook secrets and Slack URLs), as sealed text.
 *
 * Sealed bytes are IV (12) ‖ ciphertext ‖ tag (16); the key id is authenticated data, so bytes relabelled with another
 * key id do not open. Sealed text is `sealed:<key id>:<the bytes in base64>`.
 */

export type SealingKey = { id: string; key: Buffer };

const IV_BYTES = 12;
const TAG_BYTES = 16;
const TEXT_PREFIX = 'sealed:';

/** Why a sealed value does not open. */
export type SealedValueProblem = 'unknown_key' | 'too_short' | 'altered' | 'not_sealed_text';

/** Raised when a sealed value does not open; `keyId` names the key it says it was sealed with. */
export class SealedValueError extends Error {
  constructor(
    readonly problem: SealedValueProblem,
    readonly keyId: string | undefined,
  ) {
    super(
      {
        unknown_key: `sealed with key "${keyId}", which is not configured`,
        too_short: `sealed with key "${keyId}" but too short`,
        altered: `does not open with key "${keyId}" (altered, or another key)`,
        not_sealed_text: 'is not sealed text',
      }[problem],
    );
    this.name = 'SealedValueError';
  }
}

export class KeyRing {
  private readonly byId: Map<string, Buffer>;
  private readonly current: SealingKey;

  constructor(keys: readonly SealingKey[]) {
    if (!keys.length) throw new Error('The encryption codec needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`Key ${id} must be 32 bytes (AES-256)`);
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`Key id "${id}" must be 1 to 64 of A-Z a-z 0-9 . _ -`);
    }
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.current = keys[0]!;
  }

  /** The id of the key that seals (the first listed). */
  get sealingKeyId(): string {
    return this.current.id;
  }

  /** How sealed text begins when the sealing key sealed it (so a query can find what an older key sealed). */
  get sealedTextPrefix(): string {
    return `${TEXT_PREFIX}${this.current.id}:`;
  }

  /** Seals bytes with the first key; returns its id with the sealed bytes. */
  seal(plaintext: Uint8Array): { keyId: string; data: Buffer } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(this.current.id));
    const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { keyId: this.current.id, data };
  }

  /** Opens bytes sealed with the key `keyId`, or throws a SealedValueError. */
  open(keyId: string, sealed: Uint8Array): Buffer {
    const key = this.byId.get(keyId);
    if (!key) throw new SealedValueError('unknown_key', keyId);
    const data = Buffer.from(sealed);
    if (data.length < IV_BYTES + TAG_BYTES) throw new SealedValueError('too_short', keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SealedValueError('altered', keyId);
    }
  }

  /** Seals text for a database column: `sealed:<key id>:<base64>`. */
  sealText(text: string): string {
    const { keyId, data } = this.seal(Buffer.from(text, 'utf8'));
    return `${TEXT_PREFIX}${keyId}:${data.toString('base64')}`;
  }

  /** Opens what `sealText` made, or throws a SealedValueError. */
  openText(sealed: string): string {
    const found = /^sealed:([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/]*={0,2})$/.exec(sealed);
    if (!found) throw new SealedValueError('not_sealed_text', undefined);
    return this.open(found[1]!, Buffer.from(found[2]!, 'base64')).toString('utf8');
  }
}

/** True when `value` has the form of sealed text (a value stored before sealing, or by another scheme, has not). */
export const isSealedText = (value: string): boolean => value.startsWith(TEXT_PREFIX);
