import type { Payload } from '@temporalio/common';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { temporal } from '@temporalio/proto';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../temporal/payload-codec';
import { matchWorkflowId } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { COMPLETE_CHECKIN_FORM, createDevStack, postCheckinForm, type DevStack } from '../support/stack';
import { testDataConverter } from '../support/temporal';

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/**
 * Every payload in a history that bansou's data converter wrote: not search attributes (Temporal indexes those, so
 * they stay clear; bansou's hold ids and states only), the SDK's patch markers (a patch id) nor trace headers.
 */
function payloadsIn(node: unknown, found: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return found;
  if (Array.isArray(node)) {
    for (const item of node) payloadsIn(item, found);
    return found;
  }
  const record = node as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  if (metadata && metadata.encoding instanceof Uint8Array) {
    found.push(record as Payload);
    return found;
  }
  if (record.markerName === 'core_patch') return found;
  // A local activity's marker (the read-model sync): its `data` is the SDK core's own record of the call (sequence,
  // attempt, activity type and id, times), not bansou's; its result and any failure are bansou's, through the codec.
  if (record.markerName === 'core_local_activity') {
    const { data: _call, ...outcome } = (record.details ?? {}) as Record<string, unknown>;
    payloadsIn(outcome, found);
    return payloadsIn(record.failure, found);
  }
  // Search attributes, and the trace context a header carries (ids, no data: the SDK does not pass headers through the
  // codec), are not what bansou stores.
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'searchAttributes' && key !== TRACE_HEADER) payloadsIn(value, found);
  }
  return found;
}

/**
 * What Temporal stores of a match is ciphertext: the raw history, read through the real dev server without the
 * codec, holds no address, name or answer text; the same history decoded with the key holds them all.
 */
describe('personal data in Temporal is encrypted (dev server, real API, real Postgres)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a match with a check-in answer leaves no email address, name or answer text in its raw history', async () => {
    const match = await stack.createMatch();
    const { host } = await stack.openFirstCheckin(match.id);
    const link = stack.linkIn(host, 'checkins');
    const comment = '打ち合わせの頻度を週1回に増やしたい（暗号化の確認）';
    const posted = await postCheckinForm(stack, link, { ...COMPLETE_CHECKIN_FORM, hoursSpent: '6', comment });
    expect(posted.status).toBe(200);
    expect(posted.text).toContain('ご回答ありがとうございました');
    // The workflow has the answer (the signal is in the history) before the history is read.
    await eventually(
      async () => (await stack.state(match.id)).checkins.current?.answers.host?.answers.comment === comment,
    );

    const workflowId = matchWorkflowId(match.id);
    const { history } = await stack.env.client.workflowService.getWorkflowExecutionHistory({
      namespace: stack.env.namespace ?? 'default',
      execution: { workflowId },
    });
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history!).finish());
    const personal = [
      match.host.email,
      match.talent.email,
      match.coordinator.email,
      match.host.name,
      match.talent.name,
      match.coordinator.name,
      match.host.organization!,
      comment,
    ];
    for (const value of personal)
      expect({ value, inRawHistory: raw.includes(Buffer.from(value)) }).toEqual({ value, inRawHistory: false });

    // Every payload is encrypted, with the test key; decoded with it, the same history holds everything above.
    const payloads = payloadsIn(history);
    expect(payloads.length).toBeGreaterThan(10);
    for (const payload of payloads) {
      expect(text(payload.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata![KEY_ID_METADATA])).toBe('test-2026');
    }
    const [codec] = testDataConverter().payloadCodecs!;
    const decoded = Buffer.concat((await codec!.decode(payloads)).map((p) => Buffer.from(p.data ?? [])));
    for (const value of personal)
      expect({ value, decoded: decoded.includes(Buffer.from(value)) }).toEqual({ value, decoded: true });
  });
});
