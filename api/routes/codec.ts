import type { Payload, PayloadCodec } from '@temporalio/common';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { accountPrincipal, authenticate, type ApiKeys } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ApiRoutes } from '../routing';
import { currentSession } from '../workspace/sessions';

/**
 * The codec endpoint of the Temporal Web UI (and of `temporal --codec-endpoint`): payloads in, payloads out, through
 * the same codecs as the worker's, so an operator sees a match's history decrypted while Temporal stores ciphertext.
 * Admins only (an admin API key, or an admin signed in to the workspace when the UI sends its cookies), and only
 * scripts of the configured UI origins may read the answers (CORS).
 */

const ZBase64 = z.base64({ error: 'must be base64' });
const ZJsonPayload = z.object({
  metadata: z.record(z.string().max(256), ZBase64).optional(),
  data: ZBase64.optional(),
});
/** Payloads as Temporal's proto JSON has them (bytes in base64), as the UI and the CLI send them. */
export const ZCodecRequest = z.object({ payloads: z.array(ZJsonPayload).max(10_000) });
export type TCodecRequest = z.infer<typeof ZCodecRequest>;
const ZCodecResponse = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() })),
});

const fromJson = ({ metadata, data }: z.infer<typeof ZJsonPayload>): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data ?? '', 'base64'),
});
const toJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(data ?? []).toString('base64'),
});

/** Headers the UI sends (X-Namespace; Authorization and Authorization-Extras when it passes its tokens). */
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization, authorization-extras, x-api-key';

/**
 * CORS for the codec paths: the configured UI origins may call them, with their cookies; a preflight from one of
 * them is answered here; a request from any other origin is refused before anything else happens. Requests without
 * an Origin (the CLI, scripts) are not a browser's and pass on to authentication.
 */
export function codecCors(uiOrigins: string[]): RequestHandler {
  const allowed = new Set(uiOrigins);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin === undefined) return next();
    if (!allowed.has(origin)) {
      return next(new AppError('forbidden', 'This origin may not call the codec endpoint (TEMPORAL_UI_ORIGIN).'));
    }
    res.set({ 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' });
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.set({
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      return res.status(204).end();
    }
    next();
  };
}

/** Who is asking: an API key when one is sent, otherwise the person signed in to the workspace (the UI's cookie). */
export function keyOrSession(deps: ApiDeps, keys: ApiKeys): RequestHandler {
  const byKey = authenticate(keys);
  return async (req, res, next) => {
    if (req.get('authorization') || req.get('x-api-key')) return byKey(req, res, next);
    try {
      const session = await currentSession(deps, req);
      const principal = session ? await accountPrincipal(deps.db, session.email) : null;
      if (!principal) {
        throw new AppError(
          'unauthenticated',
          'Send an admin API key as "Authorization: Bearer <key>", or sign in to the workspace as an admin.',
        );
      }
      res.locals.principal = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** POST /codec/encode and /codec/decode, through `codecs` in the data converter's order. */
export function codecRoutes(api: ApiRoutes, codecs: PayloadCodec[]): void {
  const run = async (direction: 'encode' | 'decode', body: TCodecRequest) => {
    const chain = direction === 'encode' ? codecs : [...codecs].reverse();
    // One payload at a time, so a payload that cannot be decoded is named by its place in the list.
    const out = await Promise.all(
      body.payloads.map(async (json, i) => {
        let payloads = [fromJson(json)];
        try {
          for (const codec of chain) payloads = await codec[direction](payloads);
        } catch (error) {
          throw new AppError('validation_failed', `The payloads cannot be ${direction}d.`, [
            { field: `payloads[${i}]`, message: error instanceof Error ? error.message : String(error) },
          ]);
        }
        return toJson(payloads[0]!);
      }),
    );
    return { body: { payloads: out } };
  };
  for (const direction of ['encode', 'decode'] as const) {
    api.add(
      {
        method: 'post',
        path: `/codec/${direction}`,
        summary:
          direction === 'decode'
            ? 'Decrypts payloads of Temporal histories (the codec endpoint of the Temporal Web UI and CLI)'
            : 'Encrypts payloads as bansou stores them in Temporal (the codec endpoint of the Temporal Web UI and CLI)',
        tag: 'temporal',
        access: 'administer',
        body: ZCodecRequest,
        beyondSchema:
          direction === 'decode'
            ? 'an encrypted payload must name a configured key and decrypt with it'
            : 'each payload must be encodable',
        responses: { 200: { description: 'The payloads, in the same order', schema: ZCodecResponse } },
      },
      async ({ body }) => run(direction, body),
    );
  }
}
