import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** What the sink keeps of an email: who it went to, its template and when it arrived (no body: that costs CPU). */
export type SunkEmail = { to: string; template: string; at: number };

export type SmtpSink = {
  port: number;
  url: string;
  received: SunkEmail[];
  /** Resolves once `count` emails matching `filter` have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, filter: (e: SunkEmail) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
};

/**
 * A real SMTP server on loopback that accepts everything and keeps only the envelope and the `X-Bansou-Template`
 * header, so that at thousands of emails it takes little of the CPU the worker is being measured on.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received: SunkEmail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Many workers' pooled connections at once.
    maxClients: 1000,
    onData(stream, session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 16_384) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        const template = /^X-Bansou-Template:\s*(\S+)/im.exec(head)?.[1] ?? '';
        for (const rcpt of session.envelope.rcptTo) received.push({ to: rcpt.address, template, at: Date.now() });
        waiters.forEach((w) => w());
        callback();
      });
    },
  });
  // A sender that goes away mid-conversation (a worker killed or crashed) is its own loss, not the benchmark's end.
  server.on('error', (error: Error & { code?: string }) => {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE')
      process.stderr.write(`[bench] SMTP sink: ${error.message}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    waitFor(count, filter, timeoutMs) {
      return new Promise((resolve, reject) => {
        // Counted incrementally: at tens of thousands of emails a full pass per arrival would cost the CPU measured.
        let seen = 0;
        let index = 0;
        const check = () => {
          for (; index < received.length; index++) if (filter(received[index]!)) seen += 1;
          if (seen >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} emails within ${timeoutMs} ms, got ${seen}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
