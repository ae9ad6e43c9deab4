import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An SMS gateway for the crash test, in the test's own process (so never killed): it honours Idempotency-Key, as
 * the reactor expects of a gateway (a repeat is answered with the first message's id and not sent again), and
 * counts the requests per key, so that the test can tell a notice sent twice from a notice sent again.
 */
export class CountingSmsGateway {
  /** Messages really sent: key → provider message id. */
  readonly delivered = new Map<string, string>();
  /** Requests per key, repeats included. */
  readonly requests = new Map<string, number>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<CountingSmsGateway> {
    const server = createServer();
    const gateway = new CountingSmsGateway(server);
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        gateway.requests.set(key, (gateway.requests.get(key) ?? 0) + 1);
        if (!gateway.delivered.has(key)) gateway.delivered.set(key, `gw-${gateway.delivered.size + 1}`);
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: gateway.delivered.get(key) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
