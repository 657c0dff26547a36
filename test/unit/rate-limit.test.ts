import express, { type NextFunction, type Request, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { perKeyRateLimit } from '../../api/rate-limit';
import { serve, type TestServer } from '../support/http';

/**
 * The API's own per-key limit answers as express-rate-limit's memory store did (and still does for the pages): the
 * same count per key and window, the same draft-8 headers, `Retry-After` and the refusal past the limit, a new window
 * once the old one has passed. Both run side by side on a pinned clock.
 */
describe('per-key rate limit', () => {
  const windowMs = 60_000;
  const limit = 3;
  const keyOf = (req: Request) => req.get('x-key') ?? 'none';
  const refuse = (next: NextFunction) => next(Object.assign(new Error('refused'), { status: 429 }));
  let now = Date.parse('2026-03-02T09:00:00Z');
  let servers: TestServer[] = [];

  const appWith = (limiter: RequestHandler) => {
    const app = express();
    app.get('/', limiter, (_req, res) => void res.json({ ok: true }));
    app.use(
      ((err, _req, res, _next) => void res.status(err.status).json({ refused: true })) as express.ErrorRequestHandler,
    );
    return app;
  };

  beforeEach(async () => {
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    servers = await Promise.all([
      serve(
        appWith(
          rateLimit({
            windowMs,
            limit,
            standardHeaders: 'draft-8',
            legacyHeaders: false,
            keyGenerator: (req) => keyOf(req),
            handler: (_req, _res, next) => refuse(next),
          }),
        ),
      ),
      serve(appWith(perKeyRateLimit({ windowMs, limit, keyOf, refuse }))),
    ]);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(servers.map((s) => s.close()));
  });

  /** What each server answers to the same request: status, body and the limit's headers. */
  const both = (key: string) =>
    Promise.all(
      servers.map(async (s) => {
        const r = await s.request('GET', '/', undefined, { 'x-key': key });
        const header = (name: string) => r.headers.get(name);
        return [r.status, r.text, header('ratelimit'), header('ratelimit-policy'), header('retry-after')];
      }),
    );

  it('counts each key on its own, refuses past the limit and starts again after the window, as the library does', async () => {
    const seen: unknown[] = [];
    for (const [key, advance] of [
      ['a', 0],
      ['a', 1_500],
      ['b', 0],
      ['a', 10_000],
      ['a', 0], // a's fourth within its window
      ['b', 47_000],
      ['a', 1_000], // still a's first window
      ['a', 2_000], // a's window has passed
      ['b', 0], // b's too, to the millisecond
      ['b', 0],
    ] as const) {
      now += advance;
      const [library, own] = await both(key);
      expect(own).toEqual(library);
      seen.push(own);
    }
    // The walk went past the limit and into a new window: the comparison covered both.
    expect(seen.map((s) => (s as unknown[])[0])).toEqual([200, 200, 200, 200, 429, 200, 429, 200, 200, 200]);
    expect((seen[4] as unknown[])[4]).toBe('49');
  });
});
