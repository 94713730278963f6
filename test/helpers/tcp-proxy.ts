import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that a test can break: the network between the server
 * and its database, made controllable.
 *  - `cut()`: refuse new connections (ECONNREFUSED) and reset every open one, as when the database goes down.
 *  - `hang()`: accept connections but pass no byte either way, as in a network partition (nothing is refused, nothing answers).
 *  - `restore()`: forward again; connections held by hang() are reset, as a healed partition usually leaves them.
 */
export interface TcpProxy {
  port: number;
  /** Connections accepted so far (a test can tell the server really reconnected). */
  accepted(): number;
  /** Client connections open right now. */
  open(): number;
  cut(): Promise<void>;
  hang(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

type Mode = 'forward' | 'hang';

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: Mode = 'forward';
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const onConnection = (client: net.Socket) => {
    accepted += 1;
    track(client);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    if (mode === 'hang') return; // held open, never answered
    client.pause();
    const upstream = net.connect(target.port, target.host, () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    track(upstream);
    // When either side goes, the other goes too: the peer sees a reset, not a half-open socket.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };

  let listener: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const server = net.createServer(onConnection);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as net.AddressInfo).port;
        listener = server;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      const server = listener;
      listener = null;
      if (!server) return resolve();
      server.close(() => resolve());
    });
  const resetAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    accepted: () => accepted,
    open: () => clients.size,
    async cut() {
      mode = 'forward';
      const closing = stopListening();
      resetAll();
      await closing;
    },
    async hang() {
      mode = 'hang';
      // Established connections stop passing bytes too: unpipe and leave them open.
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
      if (!listener) await listen();
    },
    async restore() {
      mode = 'forward';
      resetAll();
      if (!listener) await listen();
    },
    async close() {
      const closing = stopListening();
      resetAll();
      await closing;
    },
  };
}
