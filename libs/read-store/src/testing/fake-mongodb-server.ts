/**
 * A stand-in for a MongoDB server, for machines without one. It speaks just enough of the wire protocol for
 * the driver to connect to it as a writable primary, records every command it receives, and answers each
 * with a plausible empty success (no documents found, writes acknowledged), or with what `respond` returns.
 * Nothing is stored: it shows what the adapter SENDS (sessions, transactions, filters, Int64 positions) and
 * how it behaves when a server comes and goes, not what a real server would do with it.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

const HELLO_REPLY: Document = {
  helloOk: true,
  isWritablePrimary: true,
  ismaster: true,
  maxWireVersion: 21,
  minWireVersion: 0,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  logicalSessionTimeoutMinutes: 30,
  connectionId: 1,
};

const HANDSHAKES = new Set(['hello', 'isMaster', 'ismaster']);

/** A command as received: its body, plus the documents of its document-sequence sections under their names. */
export type RecordedCommand = Document & { readonly $name: string };

function header(length: number, responseTo: number, opCode: number): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(1, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
}

const BSON_OPTIONS = { useBigInt64: true, promoteValues: true } as const;

/** Reads an OP_MSG: flagBits, then sections (kind 0: the body; kind 1: a named sequence of documents). */
function parseMessage(message: Buffer): Document {
  let offset = 20;
  let command: Document = {};
  const sequences: Document = {};
  while (offset < message.length) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const size = message.readInt32LE(offset);
      command = BSON.deserialize(message.subarray(offset, offset + size), BSON_OPTIONS);
      offset += size;
    } else {
      const size = message.readInt32LE(offset);
      const end = offset + size;
      const nameEnd = message.indexOf(0, offset + 4);
      const name = message.toString('utf8', offset + 4, nameEnd);
      const documents: Document[] = [];
      for (let at = nameEnd + 1; at < end; ) {
        const documentSize = message.readInt32LE(at);
        documents.push(BSON.deserialize(message.subarray(at, at + documentSize), BSON_OPTIONS));
        at += documentSize;
      }
      sequences[name] = documents;
      offset = end;
    }
  }
  return { ...command, ...sequences };
}

function defaultReply(command: RecordedCommand): Document {
  const db = String(command.$db ?? 'test');
  const collection = String(command[command.$name] ?? '');
  const emptyCursor = (firstBatch: Document[] = []) => ({ cursor: { id: 0n, ns: `${db}.${collection}`, firstBatch } });
  switch (command.$name) {
    case 'find':
    case 'listCollections':
      return emptyCursor();
    case 'aggregate':
      return emptyCursor();
    case 'update':
      return { n: (command.updates as Document[] | undefined)?.length ?? 0, nModified: 0 };
    case 'delete':
      return { n: 0 };
    default:
      return {};
  }
}

export class FakeMongoDbServer {
  /** Every command other than the handshakes, in the order received. */
  readonly commands: RecordedCommand[] = [];
  /** Answers a command instead of the default empty success; return undefined to keep the default. */
  respond: (command: RecordedCommand) => Document | undefined = () => undefined;

  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 16 && pending.length >= pending.readInt32LE(0)) {
          const message = pending.subarray(0, pending.readInt32LE(0));
          pending = pending.subarray(message.length);
          socket.write(this.reply(message));
        }
      });
    });
  }

  /** Listens on `port` (0: any free port). */
  static async listen(port = 0): Promise<FakeMongoDbServer> {
    const fake = new FakeMongoDbServer();
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(port, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The recorded commands of these names (e.g. 'find', 'update', 'commitTransaction'). */
  commandsNamed(...names: string[]): RecordedCommand[] {
    return this.commands.filter((command) => names.includes(command.$name));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private reply(message: Buffer): Buffer {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      // The legacy handshake. OP_REPLY: flags, cursorId, startingFrom, numberReturned, then the document.
      const body = Buffer.from(BSON.serialize({ ...HELLO_REPLY, localTime: new Date(), ok: 1 }));
      const fields = Buffer.alloc(20);
      fields.writeInt32LE(1, 16);
      return Buffer.concat([header(36 + body.length, requestId, OP_REPLY), fields, body]);
    }
    const parsed = parseMessage(message);
    const name = Object.keys(parsed)[0] ?? '';
    const command: RecordedCommand = { ...parsed, $name: name };
    let answer: Document;
    if (HANDSHAKES.has(name)) {
      answer = { ...HELLO_REPLY, localTime: new Date() };
    } else {
      this.commands.push(command);
      answer = this.respond(command) ?? defaultReply(command);
    }
    const body = Buffer.from(BSON.serialize({ ok: 1, ...answer }));
    // OP_MSG: flagBits, then one section of kind 0 (the body).
    return Buffer.concat([header(21 + body.length, requestId, OP_MSG), Buffer.alloc(5), body]);
  }
}

/** A port nothing listens on right now (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const probe = await FakeMongoDbServer.listen(0);
  const { port } = probe;
  await probe.close();
  return port;
}
