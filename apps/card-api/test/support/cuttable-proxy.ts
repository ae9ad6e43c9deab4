import * as net from 'node:net';

/**
 * A TCP proxy for fault tests: listens on 127.0.0.1 (a free port, or `port`), forwards every connection to
 * `target`, and can be cut and restored while the service under test keeps running. It knows nothing of the
 * protocol (gRPC for EventStoreDB, the wire protocol for MongoDB): bytes go through untouched.
 *
 * `cut()` does what a store that went down does to its clients: every open connection is reset (ECONNRESET on
 * the client's side, in-flight requests fail) and, since nothing listens on the port any more, every new
 * connection is refused (ECONNREFUSED). `restore()` listens on the same port again, so the client's connection
 * string stays right and it reconnects by itself, as after the store's restart.
 */
export class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private listening = false;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  /** Starts forwarding to `target` at once. */
  static async start(target: { host: string; port: number }, port = 0): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(target, port);
    await proxy.listen();
    return proxy;
  }

  /** `host:port` to put into the connection string instead of the store's own. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return !this.listening;
  }

  /** Resets every open connection (both sides) and stops listening: new connections are refused. */
  async cut(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const server = this.server!;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }

  /** Listens on the same port again and forwards new connections. */
  async restore(): Promise<void> {
    if (!this.listening) await this.listen();
  }

  /** Cuts, for good. */
  close(): Promise<void> {
    return this.cut();
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.forward(client));
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        this.port = (server.address() as net.AddressInfo).port;
        this.server = server;
        this.listening = true;
        resolve();
      });
    });
  }

  /** Pipes one client connection to a new connection to the target; when either ends or fails, both go. */
  private forward(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    const drop = (socket: net.Socket) => () => {
      this.sockets.delete(socket);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop(client)).on('close', drop(client));
    upstream.on('error', drop(upstream)).on('close', drop(upstream));
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
