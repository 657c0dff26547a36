import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type ReceivedEmail = {
  envelopeTo: string[];
  mail: ParsedMail;
  messageId: string;
  subject: string;
  to: string;
  receivedAt: Date;
};

export type SmtpListener = {
  port: number;
  url: string;
  received: ReceivedEmail[];
  /** How many SMTP sessions clients have opened so far (sending or only checking the server, as /healthz does). */
  connections(): number;
  /** Recipients answered with a transient 4xx (`deferRecipients`), each time one was offered. */
  deferred: { address: string; at: Date }[];
  /** Resolves once `count` emails (matching `filter`, if given) have been accepted. */
  waitFor(
    count: number,
    options?: { timeoutMs?: number; filter?: (e: ReceivedEmail) => boolean },
  ): Promise<ReceivedEmail[]>;
  close(): Promise<void>;
};

export type SmtpListenerOptions = {
  /** Holds each message this long before its final 250 reply. */
  acceptDelayMs?: number;
  /**
   * Keeps a message as soon as its data has arrived, before the reply, as a real mail server commits it to its queue:
   * a client that goes away during `acceptDelayMs` has then delivered it without knowing. Otherwise a message whose
   * client went away before the reply is not counted, exactly as its sender sees it.
   */
  commitBeforeReply?: boolean;
  /** Mailboxes that do not exist: a permanent 550. */
  rejectRecipients?: (address: string) => boolean;
  /** Mailboxes that cannot take mail now (full, greylisted): a transient 452, every time. */
  deferRecipients?: (address: string) => boolean;
};

/** A real SMTP server on loopback that keeps what it accepts. */
export async function startSmtpListener(options: SmtpListenerOptions = {}): Promise<SmtpListener> {
  const received: ReceivedEmail[] = [];
  const deferred: SmtpListener['deferred'] = [];
  const closedSessions = new Set<string>();
  const waiters = new Set<() => void>();
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onRcptTo(address, _session, callback) {
      // A mailbox that does not exist: a permanent 550 naming it, as a real server answers.
      if (options.rejectRecipients?.(address.address)) {
        return callback(Object.assign(new Error(`<${address.address}>: mailbox unavailable`), { responseCode: 550 }));
      }
      if (options.deferRecipients?.(address.address)) {
        deferred.push({ address: address.address, at: new Date() });
        return callback(Object.assign(new Error('mailbox full, try again later'), { responseCode: 452 }));
      }
      callback();
    },
    onClose(session) {
      closedSessions.add(session.id);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          const keep = () => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              mail,
              messageId: mail.messageId ?? '',
              subject: mail.subject ?? '',
              to: session.envelope.rcptTo[0]?.address ?? '',
              receivedAt: new Date(),
            });
            waiters.forEach((w) => w());
          };
          if (options.commitBeforeReply) keep();
          if (options.acceptDelayMs) await new Promise((r) => setTimeout(r, options.acceptDelayMs));
          if (!options.commitBeforeReply) {
            if (closedSessions.has(session.id)) return callback(new Error('client went away'));
            keep();
          }
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  // A client that dies mid-session (a SIGKILLed worker) resets its connection: a real server shrugs and goes on.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    deferred,
    waitFor(count, { timeoutMs = 30_000, filter = () => true } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = received.filter(filter);
          if (matching.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(matching);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `expected ${count} email(s) within ${timeoutMs} ms, got ${received.filter(filter).length}: ${received.map((r) => `${r.to} "${r.subject}"`).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
