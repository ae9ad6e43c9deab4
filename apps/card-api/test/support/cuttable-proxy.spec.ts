import * as net from 'node:net';
import { CuttableProxy } from './cuttable-proxy';

/** The proxy that backend-outage.e2e-spec.ts puts between card-api and a store, against a local echo server. */
describe('CuttableProxy', () => {
  let echo: net.Server;
  let echoPort: number;
  let proxy: CuttableProxy;
  const open: net.Socket[] = [];

  beforeAll(async () => {
    // A cut resets the proxy's connections to the echo server too: that ECONNRESET is expected here.
    echo = net.createServer((socket) => socket.on('error', () => undefined).pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as net.AddressInfo).port;
  });

  beforeEach(async () => {
    proxy = await CuttableProxy.start({ host: '127.0.0.1', port: echoPort });
  });

  afterEach(async () => {
    await proxy.close();
    for (const socket of open.splice(0)) socket.destroy();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  /** Connects through the proxy; rejects with the socket's error (ECONNREFUSED when nothing listens). */
  function connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(proxy.port, '127.0.0.1');
      open.push(socket);
      socket.on('error', () => undefined); // a later cut resets it; the tests look at the error where they expect one
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** Sends `text` and resolves with what comes back, once it is all there. */
  function roundTrip(socket: net.Socket, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let received = '';
      const onData = (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (received.length >= text.length) {
          socket.off('data', onData);
          resolve(received);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(text);
    });
  }

  /** Resolves with the error (if any) once the socket is closed. */
  function closed(socket: net.Socket): Promise<NodeJS.ErrnoException | undefined> {
    return new Promise((resolve) => {
      let error: NodeJS.ErrnoException | undefined;
      socket.on('error', (e) => (error = e));
      if (socket.closed) resolve(error);
      else socket.once('close', () => resolve(error));
    });
  }

  it('forwards both ways, large payloads included', async () => {
    const socket = await connect();
    expect(await roundTrip(socket, 'hello')).toBe('hello');
    const big = 'x'.repeat(1024 * 1024);
    expect(await roundTrip(socket, big)).toBe(big);
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
  });

  it('cut(): open connections are reset and new ones refused; restore(): the same port forwards again', async () => {
    const before = await connect();
    expect(await roundTrip(before, 'one')).toBe('one');
    const port = proxy.port;

    const ended = closed(before);
    await proxy.cut();
    expect(proxy.isCut).toBe(true);
    expect((await ended)?.code).toBe('ECONNRESET');
    await expect(connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await proxy.restore();
    expect(proxy.isCut).toBe(false);
    expect(proxy.port).toBe(port);
    const after = await connect();
    expect(await roundTrip(after, 'two')).toBe('two');
  });

  it('cuts and restores repeatedly, and cut() and restore() may be called twice', async () => {
    for (let i = 0; i < 3; i++) {
      await proxy.cut();
      await proxy.cut();
      await expect(connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await proxy.restore();
      await proxy.restore();
      expect(await roundTrip(await connect(), `round ${i}`)).toBe(`round ${i}`);
    }
  });
});
