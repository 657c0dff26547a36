import net, { type AddressInfo } from 'node:net';

export type TcpProxy = {
  /** The loopback port the proxy listens on (the same after `cut()` and `restore()`). */
  port: number;
  /** `127.0.0.1:<port>`: give it to the application instead of the target's address. */
  address: string;
  /**
   * The dependency goes away: every open connection is dropped and new ones are refused (as when the server
   * process stops), until `restore()`.
   */
  cut(): Promise<void>;
  /** Accepts connections again and forwards them to the target. */
  restore(): Promise<void>;
  /**
   * Requests still reach the target, but from the first one whose bytes contain `marker` on, nothing the target
   * answers comes back (a reply lost on the way: the caller cannot tell whether its request was carried out).
   */
  loseRepliesAfter(marker: string): void;
  /**
   * Replies pass again. Connections that lost replies are dropped (their protocol state is broken, as after a real
   * network fault), so clients connect afresh.
   */
  passReplies(): void;
  /**
   * A network partition: nothing passes either way and nothing is closed (no reset, no reply), on the connections open
   * now and on new ones (accepted, but not carried on to the target), until `heal()`. A connection the application
   * closes meanwhile is closed towards the target too (a real partition would leave the server to find out later).
   */
  partition(): void;
  /** The network is back: what was held passes, in order, and the held new connections reach the target. */
  heal(): void;
  close(): Promise<void>;
};

/** Keeps a proxied connection's two sockets in `sockets` while both are open; when either ends, both go. */
export function track(sockets: Set<net.Socket>, client: net.Socket, upstream: net.Socket): void {
  sockets.add(client).add(upstream);
  const drop = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.on('error', drop).on('close', drop);
  upstream.on('error', drop).on('close', drop);
}

/**
 * A loopback TCP proxy in front of a real server (Postgres, Temporal), so a test can take the server away and bring
 * it back, or lose its replies, while the application keeps its own connection settings.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let marker: Buffer | undefined;
  let losing = false;
  /** While partitioned: new connections not yet carried on to the target. */
  let held: (() => void)[] | undefined;

  const onConnection = (client: net.Socket) => {
    if (held) {
      // Held as a partition holds a connection attempt: the caller sees no answer (and no refusal) until it heals.
      client.pause().on('error', () => client.destroy());
      const connectLater = () => {
        if (client.destroyed) return;
        onConnection(client);
        client.resume();
      };
      held.push(connectLater);
      return;
    }
    const upstream = net.connect(target);
    track(sockets, client, upstream);
    // The last bytes of the previous chunk too, so a marker split across two chunks is still seen.
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (marker && !losing) {
        const seen = Buffer.concat([tail, chunk]);
        if (seen.includes(marker)) losing = true;
        tail = seen.subarray(Math.max(0, seen.length - marker.length));
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!losing) client.write(chunk);
    });
  };

  let server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const listening = () => server.listening;

  const proxy: TcpProxy = {
    port,
    address: `127.0.0.1:${port}`,
    async cut() {
      const closed = listening() ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    async restore() {
      if (listening()) return;
      server = net.createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    },
    loseRepliesAfter(text) {
      marker = Buffer.from(text);
      losing = false;
    },
    passReplies() {
      marker = undefined;
      if (losing) for (const socket of sockets) socket.destroy();
      losing = false;
    },
    partition() {
      held ??= [];
      // A paused socket is not read: what either side sends stays in its buffers, as packets a partition drops are
      // sent again once it heals.
      for (const socket of sockets) socket.pause();
    },
    heal() {
      const waiting = held ?? [];
      held = undefined;
      for (const socket of sockets) socket.resume();
      for (const connectLater of waiting) connectLater();
    },
    close: () => {
      proxy.heal();
      return proxy.cut();
    },
  };
  return proxy;
}
