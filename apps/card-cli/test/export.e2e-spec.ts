import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { SqliteEventStore, type EventToAppend, type JsonObject } from '@cards/event-store';
import { appendCheckpoint, auditTestEnv, auditTestKey, runVerifier } from '../../card-api/test/support/audit-checkpoints';
import { issueDebitCard, registerCustomer } from '../../card-api/test/support/lifecycle-steps';
import { capturedOutput, listenOnLoopback, newDataDir, removeDataDir, startTestApp, type TestApp } from '../../card-api/test/support/test-app';
import { exportAudit, exportCommand } from '../src/export-audit';

/** Somewhere to write an export nobody reads. */
const sink = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

/** A file the export is written to, and its text once written. */
function fileOut(dir: string, name: string) {
  const file = path.join(dir, name);
  return { file, out: fs.createWriteStream(file), text: () => fs.readFileSync(file, 'utf8') };
}

describe('card-cli export', () => {
  describe('against the running card-api', () => {
    let t: TestApp;
    let url: string;
    const key = auditTestKey();
    const auditor = () => t.token({ sub: 'auditor-7', roles: ['auditor'] });
    beforeAll(async () => {
      t = await startTestApp(undefined, auditTestEnv(key));
      url = await listenOnLoopback(t);
      const customerId = await registerCustomer(t);
      await issueDebitCard(t, customerId);
      await issueDebitCard(t, customerId);
    });
    afterAll(async () => {
      await t.close();
      removeDataDir(t.dataDir);
    });

    it('writes the export as the service streams it, and says how much at the end (exit 0)', async () => {
      const target = fileOut(t.dataDir, 'export.jsonl');
      const result = await exportAudit({ url, token: auditor, out: target.out, progressOut: capturedOutput() });
      expect(result).toEqual({ exitCode: 0, message: expect.stringMatching(/^Exported \d+ events and 0 checkpoints \(\d+ lines, \d+\.\d MB\) in \d+\.\d s\.$/) });
      const lines = target.text().trimEnd().split('\n');
      const footer = JSON.parse(lines[lines.length - 1]) as { events: number };
      expect(result.message).toContain(`Exported ${footer.events} events`);
      expect(lines).toHaveLength(footer.events + 2);
      const direct = await t.http().get('/v1/audit/export').buffer(true).parse((res, done) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => done(null, body));
      });
      const withoutTime = (text: string) => text.replace(/"generatedAt":"[^"]+"/, '');
      expect(withoutTime(target.text())).toBe(withoutTime(direct.body as string));
      expect(runVerifier(target.file, [key.publicKeyPem]).status).toBe(0);
    });

    it('passes the bounds and the format on (--from, --to, --from-position, --to-position, --format csv)', async () => {
      const target = fileOut(t.dataDir, 'part.csv');
      const result = await exportCommand([], { 'from-position': '2', 'to-position': '6', format: 'csv', from: '2000-01-01', to: '2100-01-01', url }, target.out, { CARD_API_TOKEN: await auditor() });
      expect(result).toMatchObject({ exitCode: 0, message: expect.stringMatching(/^Exported 4 events and 0 checkpoints \(7 lines/) });
      const rows = target.text().split('\r\n');
      expect(rows[0]).toBe('kind,position,streamId,revision,id,type,recordedAt,data,metadata');
      expect(rows.slice(2, 6).map((r) => r.split(',')[1])).toEqual(['3', '4', '5', '6']);
      expect(rows[1]).toContain('""fromPosition"":""2"",""toPosition"":""6""');
    });

    it('shows a progress bar when stderr is a terminal', async () => {
      const terminal = { isTTY: true, columns: 100, text: '', write(s: string) { this.text += s; return true; } };
      const result = await exportAudit({ url, token: auditor, out: fileOut(t.dataDir, 'tty.jsonl').out, progressOut: terminal });
      expect(result.exitCode).toBe(0);
      expect(terminal.text).toMatch(/^\r\d+ lines, \d+ lines\/s, \d+\.\d MB/);
      expect(terminal.text.endsWith('\n')).toBe(true);
    });

    it('exits 2 when refused: a token without the auditor role, a bound the service cannot read', async () => {
      const analyst = await t.token({ roles: ['analyst'] });
      const refused = await exportAudit({ url, token: async () => analyst, out: sink(), progressOut: capturedOutput() });
      expect(refused).toEqual({ exitCode: 2, message: expect.stringMatching(/^card-api answered 403 ROLE_NOT_ALLOWED: .*needs a token with the auditor role\)$/) });
      const bad = await exportCommand([], { from: 'last tuesday', url }, sink(), { CARD_API_TOKEN: await auditor() });
      expect(bad).toEqual({ exitCode: 2, message: expect.stringMatching(/^card-api answered 400 VALIDATION_FAILED: from: from must be an ISO-8601 instant with Z or an offset/) });
    });
  });

  it('exits 2 when card-api is not running, or on bad usage', async () => {
    const down = await exportAudit({ url: 'http://127.0.0.1:1', token: async () => 'x', out: sink(), progressOut: capturedOutput() });
    expect(down).toEqual({ exitCode: 2, message: expect.stringMatching(/Is it running\? Start it with: npm start/) });
    expect(await exportCommand(['out.jsonl'], {}, sink())).toEqual({ exitCode: 2, message: expect.stringMatching(/^Unexpected argument out.jsonl: the export goes to standard output\.\nusage: card-cli export/) });
    expect(await exportCommand([], { chunk: '5' }, sink())).toEqual({ exitCode: 2, message: expect.stringMatching(/^Unknown option --chunk\./) });
    expect(await exportCommand([], { format: 'xml' }, sink())).toEqual({ exitCode: 2, message: expect.stringMatching(/^--format must be jsonl or csv/) });
  });

  it('exits 2 when the export stops before its footer (the service failed mid-way): the output is incomplete', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"kind":"header","format":"cards-audit-export","version":1}\n{"kind":"event","position":"1"}\n');
      setTimeout(() => res.destroy(), 20);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const result = await exportAudit({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, out: sink(), progressOut: capturedOutput() });
      expect(result.exitCode).toBe(2);
      expect(result.message).toMatch(/cut short|could not be written/);
    } finally {
      server.close();
    }
  });

  describe('100,000 events', () => {
    const key = auditTestKey();
    let t: TestApp;
    let dataDir: string;
    const seconds: Record<string, number> = {};
    const STREAMS = 1000;
    const EVENTS_PER_STREAM = 100;
    const CHECKPOINT_EVERY_STREAMS = 100;

    /** A card's history as the service writes it, give or take: what the store holds is all that matters here. */
    function history(n: number): EventToAppend[] {
      const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000 + i * 1000).toISOString();
      const metadata = (i: number) => ({
        schemaVersion: 1,
        actor: { id: `teller-${n % 50}`, role: 'issuer' },
        channel: 'API',
        correlationId: randomUUID(),
        causationId: randomUUID(),
        occurredAt: at(i),
      });
      return Array.from({ length: EVENTS_PER_STREAM }, (_, i) => {
        const data: JsonObject =
          i === 0
            ? { customerId: randomUUID(), product: 'DEBIT', panBin: '411111', panLast4: String(1000 + (n % 9000)), panFingerprint: randomBytes(32).toString('hex'), panLength: 16, expiry: '12/29', channel: 'BRANCH', branchId: 'BJ-001', issuedAt: at(i) }
            : i === 1
              ? { method: 'FACE', matchScore: Math.random(), verifiedAt: at(i) }
              : i % 2 === 0
                ? { reason: 'LOST_REPORTED', suspendedAt: at(i) }
                : { reason: 'Found', reinstatedAt: at(i) };
        const type = i === 0 ? 'CardIssued' : i === 1 ? 'IdentityVerified' : i % 2 === 0 ? 'CardSuspended' : 'CardReinstated';
        return { id: randomUUID(), type, data, metadata: metadata(i) };
      });
    }

    beforeAll(async () => {
      dataDir = newDataDir();
      let started = Date.now();
      const store = SqliteEventStore.open(path.join(dataDir, 'events.db'));
      for (let n = 0; n < STREAMS; n++) {
        await store.appendToStream(`card-${randomUUID()}`, history(n), { expectedRevision: 'no_stream' });
        if ((n + 1) % CHECKPOINT_EVERY_STREAMS === 0) await appendCheckpoint(store, key.privateKey);
      }
      await store.close();
      seconds.build = (Date.now() - started) / 1000;
      started = Date.now();
      t = await startTestApp(dataDir, { ...auditTestEnv(key), PROJECTIONS_IN_PROCESS: 'false' });
      seconds.start = (Date.now() - started) / 1000;
    }, 300_000);
    afterAll(async () => {
      await t?.close();
      removeDataDir(dataDir);
    });

    it('an untouched store verifies clean through the API, the CLI and the standalone script, the service\'s memory flat', async () => {
      const url = await listenOnLoopback(t);
      const target = fileOut(dataDir, 'export-100k.jsonl');
      const heap = { before: process.memoryUsage().heapUsed, peak: 0 };
      const sampler = setInterval(() => (heap.peak = Math.max(heap.peak, process.memoryUsage().heapUsed)), 20);
      let started = Date.now();
      const exported = await exportAudit({ url, token: () => t.token({ roles: ['auditor'] }), out: target.out, progressOut: capturedOutput() });
      clearInterval(sampler);
      seconds.export = (Date.now() - started) / 1000;
      const events = STREAMS * EVENTS_PER_STREAM + STREAMS / CHECKPOINT_EVERY_STREAMS;
      expect(exported).toEqual({ exitCode: 0, message: expect.stringContaining(`Exported ${events} events and 0 checkpoints (${events + 2} lines`) });

      started = Date.now();
      const { status, report } = runVerifier(target.file, [key.publicKeyPem]);
      seconds.verify = (Date.now() - started) / 1000;
      expect(report.problems).toEqual([]);
      expect(status).toBe(0);
      expect(report).toMatchObject({ events, streams: STREAMS + 1, checkpoints: 10, validCheckpoints: 10, headsChecked: STREAMS, headsOutsideExport: 0 });

      const size = fs.statSync(target.file).size;
      const growth = Math.max(0, heap.peak - heap.before);
      // Constant memory is proven where it is deterministic (audit-export.int-spec.ts: a page is read only when the
      // one before it was taken). The heap's growth here depends on when the collector runs, so it is reported only.
      console.log(
        `audit export of ${events} events (${(size / 1e6).toFixed(1)} MB): store built in ${seconds.build.toFixed(1)} s, ` +
          `app started in ${seconds.start.toFixed(1)} s, exported through the API by card-cli in ${seconds.export.toFixed(1)} s, ` +
          `verified by docs/verify_audit_export.py in ${seconds.verify.toFixed(1)} s (script's own count ${report.seconds} s); ` +
          `heap growth during the export ${(growth / 1e6).toFixed(1)} MB`,
      );
    }, 300_000);
  });
});
