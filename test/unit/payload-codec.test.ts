import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ConfigError, parseEnv, ZPayloadKeysEnv } from '../../config/env';
import { isSealedText, KeyRing, SealedValueError } from '../../config/key-ring';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../temporal/payload-codec';

const key = (id: string) => ({ id, key: randomBytes(32) });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('the payload codec (AES-256-GCM, key id in the metadata)', () => {
  const secret = { email: 'hanako.yamada@example.jp', comment: 'ツールの使い方に慣れてきた' };

  it('encrypts the whole payload, metadata included, and decodes it back exactly', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const plain = payloadOf(secret);
    const [encrypted] = await codec.encode([plain]);
    expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    const raw = Buffer.from(encrypted!.data!);
    expect(raw.includes(Buffer.from('hanako'))).toBe(false);
    expect(raw.includes(Buffer.from('json/plain'))).toBe(false);
    expect(raw.includes(Buffer.from('ツール'))).toBe(false);
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(secret);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('encrypts the same value differently each time (a fresh IV per payload)', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [a, b] = await codec.encode([payloadOf(secret), payloadOf(secret)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('rotates: the first key encrypts, every listed key decrypts, a dropped key does not', async () => {
    const old = key('2025');
    const current = key('2026');
    const before = await new EncryptionCodec([old]).encode([payloadOf('written with the old key')]);
    const rotated = new EncryptionCodec([current, old]);
    const after = await rotated.encode([payloadOf('written with the new key')]);
    expect(text(after[0]!.metadata![KEY_ID_METADATA])).toBe('2026');
    const decoded = await rotated.decode([...before, ...after]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      'written with the old key',
      'written with the new key',
    ]);
    await expect(new EncryptionCodec([current]).decode(before)).rejects.toThrow(
      new PayloadDecryptionError('A payload is encrypted with key "2025", which is not configured'),
    );
  });

  it('passes unencrypted payloads through (histories recorded before encryption)', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const plain = payloadOf({ recorded: 'before encryption' });
    await expect(codec.decode([plain])).resolves.toEqual([plain]);
  });

  it('refuses an altered payload, a relabelled key id, and another key under the same id', async () => {
    const k1 = key('k1');
    const codec = new EncryptionCodec([k1, key('k2')]);
    const [encrypted] = await codec.encode([payloadOf(secret)]);
    const flipped = Buffer.from(encrypted!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data: flipped }])).rejects.toThrow(/does not decrypt with key "k1"/);
    const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/does not decrypt with key "k2"/);
    await expect(new EncryptionCodec([key('k1')]).decode([encrypted!])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...encrypted!, data: Buffer.alloc(8) }])).rejects.toThrow(/too short/);
  });

  it('needs at least one key, each of 32 bytes', () => {
    expect(() => new EncryptionCodec([])).toThrow(/at least one key/);
    expect(() => new EncryptionCodec([{ id: 'short', key: randomBytes(16) }])).toThrow(/short must be 32 bytes/);
  });
});

describe('PAYLOAD_ENCRYPTION_KEYS', () => {
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  const parse = (value: string | undefined) => parseEnv(ZPayloadKeysEnv, { PAYLOAD_ENCRYPTION_KEYS: value });
  const problem = (value: string | undefined) => {
    try {
      parse(value);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('parsed');
  };

  it('reads id:key entries in order, standard or URL-safe base64', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const keys = parse(`2026-01:${b64(a)}, 2025-07:${b.toString('base64url')}`).PAYLOAD_ENCRYPTION_KEYS;
    expect(keys.map((k) => k.id)).toEqual(['2026-01', '2025-07']);
    expect(keys[0]!.key.equals(a)).toBe(true);
    expect(keys[1]!.key.equals(b)).toBe(true);
  });

  it('names what is wrong: missing, not id:key, not 32 bytes, an id listed twice', () => {
    expect(problem(undefined)).toMatch(/PAYLOAD_ENCRYPTION_KEYS: is required/);
    expect(problem(b64(randomBytes(32)))).toMatch(/PAYLOAD_ENCRYPTION_KEYS: entry 1 must be id:key/);
    expect(problem(`k1:${b64(randomBytes(32))},k2:${b64(randomBytes(16))}`)).toMatch(/entry 2 must be id:key/);
    expect(problem(`k1:${b64(randomBytes(32))},k1:${b64(randomBytes(32))}`)).toMatch(/the key id k1 is listed twice/);
  });

  it('never puts a key into its error message', () => {
    const secretKey = b64(randomBytes(31));
    expect(problem(`k1:${secretKey}`)).not.toContain(secretKey);
  });
});

describe('the key ring: the same keys seal values kept in Postgres as text', () => {
  it('seals text under the first key (named in it), opens it under any listed key, and only those', () => {
    const old = key('2025');
    const current = key('2026');
    const before = new KeyRing([old]).sealText('{"key":"bsk_shown_once"}');
    expect(before).toMatch(/^sealed:2025:[A-Za-z0-9+/]+=*$/);
    expect(before).not.toContain('bsk_shown_once');
    expect(isSealedText(before)).toBe(true);
    const rotated = new KeyRing([current, old]);
    expect(rotated.sealText('after')).toMatch(/^sealed:2026:/);
    expect(rotated.openText(before)).toBe('{"key":"bsk_shown_once"}');
    expect(() => new KeyRing([current]).openText(before)).toThrow(
      expect.objectContaining({ problem: 'unknown_key', keyId: '2025' }),
    );
  });

  it('refuses sealed text altered, relabelled, or not sealed at all', () => {
    const ring = new KeyRing([key('k1'), key('k2')]);
    const sealed = ring.sealText('ツールの使い方に慣れてきた');
    const bytes = Buffer.from(sealed.split(':')[2]!, 'base64');
    bytes[14] = bytes[14]! ^ 1;
    expect(() => ring.openText(`sealed:k1:${bytes.toString('base64')}`)).toThrow(SealedValueError);
    expect(() => ring.openText(sealed.replace('sealed:k1:', 'sealed:k2:'))).toThrow(/does not open with key "k2"/);
    expect(() => ring.openText('AAAA')).toThrow(expect.objectContaining({ problem: 'not_sealed_text' }));
    expect(isSealedText('AAAA')).toBe(false);
  });
});
