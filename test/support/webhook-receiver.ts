import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as received: the path it was posted to (with any query), its headers and body. */
export type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };

/** A real HTTP receiver on loopback that answers each request with the next status of `answers` (the last one repeats). */
export async function receiver(answers: number[] = [200]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answers[Math.min(received.length - 1, answers.length - 1)]!;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    /** The requests of one event (the `Bansou-Event` header). */
    of: (event: string) => received.filter((r) => r.headers['bansou-event'] === event),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof receiver>>;
