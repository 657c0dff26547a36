import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** A window as express-rate-limit names it in its headers' policy name (`600-in-1min`). */
function windowName(windowMs: number): string {
  const seconds = windowMs / 1000;
  const minutes = seconds / 60;
  const hours = minutes / 60;
  const days = hours / 24;
  if (seconds < 60) return `${seconds}sec`;
  if (minutes < 60) return `${minutes}min`;
  if (hours < 24) return `${hours}hr${hours > 1 ? 's' : ''}`;
  return `${days}day${days > 1 ? 's' : ''}`;
}

/** The draft-8 `pk` of a key: not the key itself (an id, or an address), 12 hex digits of its SHA-256. */
const partitionKey = (key: string) =>
  Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');

type Client = { hits: number; resetAt: number; policy: string };

/**
 * The JSON API's limit per key, kept in this process: at most `limit` requests in a window of `windowMs` that starts
 * at a key's first request, answered as express-rate-limit's memory store answers them (the pages, /healthz and the
 * workspace's sign-in keep that library): IETF draft-8 `RateLimit` and `RateLimit-Policy` headers on every answer,
 * `Retry-After` and `refuse` past the limit, keys not seen for a whole window forgotten. Done here because the API's
 * most-served reads paid the library's awaits and a SHA-256 of the key on every request; here the hash is made once per
 * key and window, and nothing waits.
 */
export function perKeyRateLimit(options: {
  windowMs: number;
  limit: number;
  keyOf: (req: Request, res: Response) => string;
  refuse: (next: NextFunction) => void;
}): RequestHandler {
  const { windowMs, limit } = options;
  const name = `"${limit}-in-${windowName(windowMs)}"`;
  const policy = `${name}; q=${limit}; w=${Math.ceil(windowMs / 1000)}; pk=:`;
  // Two generations: a key found in neither has not been seen for a whole window.
  let current = new Map<string, Client>();
  let previous = new Map<string, Client>();
  setInterval(() => {
    previous = current;
    current = new Map();
  }, windowMs).unref();

  return (req, res, next) => {
    const key = options.keyOf(req, res);
    const now = Date.now();
    let client = current.get(key);
    if (!client) {
      client = previous.get(key);
      previous.delete(key);
      client ??= { hits: 0, resetAt: now + windowMs, policy: `${policy}${partitionKey(key)}:` };
      current.set(key, client);
    }
    if (client.resetAt <= now) {
      client.hits = 0;
      client.resetAt = now + windowMs;
    }
    client.hits += 1;
    const resetSeconds = Math.max(0, Math.ceil((client.resetAt - now) / 1000));
    res.append('RateLimit', `${name}; r=${Math.max(limit - client.hits, 0)}; t=${resetSeconds}`);
    res.append('RateLimit-Policy', client.policy);
    if (client.hits > limit) {
      res.setHeader('Retry-After', String(resetSeconds));
      return options.refuse(next);
    }
    next();
  };
}
