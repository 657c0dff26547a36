import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { track } from './tcp-proxy';

export type TlsProxy = {
  /** `127.0.0.1:<port>`: what the application is given as TEMPORAL_ADDRESS. */
  address: string;
  /** The subject CN of each client certificate the proxy accepted, in order. */
  accepted: string[];
  /** Why the proxy refused a handshake, for each it refused (a missing or unknown client certificate). */
  refused: string[];
  close(): Promise<void>;
};

/**
 * A TLS-terminating TCP proxy in front of a plain server (the Temporal dev server has no TLS flags): it shows `cert`,
 * and with `clientCa` it asks every client for a certificate signed by that CA (mTLS), refusing the handshake
 * otherwise; what comes through is forwarded as is. gRPC needs HTTP/2, so it offers `h2` by ALPN.
 */
export async function startTlsProxy(options: {
  target: { host: string; port: number };
  cert: string;
  key: string;
  clientCa?: string;
}): Promise<TlsProxy> {
  const sockets = new Set<net.Socket>();
  const accepted: string[] = [];
  const refused: string[] = [];
  const server = tls.createServer({
    cert: options.cert,
    key: options.key,
    ALPNProtocols: ['h2'],
    ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  });
  // The handshake failed (the server's alert is sent): the connection is closed, as a TLS server closes it.
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    refused.push(error.code ?? error.message);
    socket.destroy();
  });
  server.on('secureConnection', (client: tls.TLSSocket) => {
    const subject = client.getPeerCertificate()?.subject?.CN;
    accepted.push(Array.isArray(subject) ? subject.join(',') : (subject ?? '(no certificate)'));
    const upstream = net.connect(options.target);
    track(sockets, client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    refused,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
