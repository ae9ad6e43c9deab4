import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ScriptedHttpServer } from '@cards/notifications/channels/testing/scripted-http-server';
import { newDataDir, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { eventually } from './support/eventually';
import { registerCustomer } from './support/lifecycle-steps';

jest.setTimeout(30_000);

/** A quiet period that cannot hold now: one minute, twelve hours away (Shanghai time). */
function quietHoursAwayFromNow(): string {
  const at = (offsetMinutes: number) => {
    const d = new Date(Date.now() + 8 * 3_600_000 + offsetMinutes * 60_000);
    return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  };
  return `${at(12 * 60)}-${at(12 * 60 + 1)}`;
}

describe('a case tells its customer, by the notification reactor, on their preferred channel', () => {
  const dataDir = newDataDir();
  let t: TestApp;
  let gateway: ScriptedHttpServer;
  const texts: { to: string; text: string }[] = [];

  beforeAll(async () => {
    gateway = await ScriptedHttpServer.listen((request) => {
      const body = JSON.parse(request.rawBody) as { to: string; text: string };
      texts.push({ to: body.to, text: body.text });
      return { status: 202, body: { id: `gw-${texts.length}` } };
    });
    t = await startTestApp(dataDir, { SMS_GATEWAY_URL: gateway.url, NOTIFY_POLL_MS: '20', NOTIFY_HOTLINE: '400-123-4567', NOTIFY_QUIET_HOURS: quietHoursAwayFromNow() });
  });
  afterAll(async () => {
    await t.close();
    await gateway.close();
    removeDataDir(dataDir);
  });

  it('sends "received", "we need your input" and "resolved", each with the case number, in the customer\'s language; nothing for other steps', async () => {
    const customerId = await registerCustomer(t, { phone: '13900139001', preferredChannels: ['SMS'], locale: 'zh-CN' });
    const english = await registerCustomer(t, { phone: '13900139002', preferredChannels: ['SMS'], locale: 'en' });
    const opened = (await t.http().post('/v1/cases').send({ channel: 'PHONE', customerId, description: '没收到短信', priority: 'MEDIUM' }).expect(201)).body;
    const number = opened.caseNumber as string;
    const forMe = () => texts.filter((m) => m.to === '+8613900139001');

    await eventually(() => (forMe().length >= 1 ? true : undefined), 'the case-received SMS');
    expect(forMe()[0].text).toBe(`【卡中心】您的服务单${number}已受理，我们会尽快处理。咨询请致电400-123-4567。`);

    await t.http().post(`/v1/cases/${opened.caseId}/assignment`).send({ assignee: 'agent-1' }).expect(200);
    await t.http().post(`/v1/cases/${opened.caseId}/status`).send({ status: 'IN_PROGRESS' }).expect(200);
    await t.http().post(`/v1/cases/${opened.caseId}/comments`).send({ text: 'Checked the gateway log' }).expect(201);
    await t.http().post(`/v1/cases/${opened.caseId}/status`).send({ status: 'WAITING_CUSTOMER' }).expect(200);
    await eventually(() => (forMe().length >= 2 ? true : undefined), 'the waiting-for-you SMS');
    expect(forMe()[1].text).toBe(`【卡中心】您的服务单${number}需要您补充信息，请致电400-123-4567并提供服务单编号。`);

    await t.http().post(`/v1/cases/${opened.caseId}/status`).send({ status: 'IN_PROGRESS' }).expect(200);
    await t.http().post(`/v1/cases/${opened.caseId}/resolution`).send({ resolution: 'Resent the message' }).expect(200);
    await eventually(() => (forMe().length >= 3 ? true : undefined), 'the resolved SMS');
    expect(forMe()[2].text).toBe(`【卡中心】您的服务单${number}已处理完毕。如仍有问题，请致电400-123-4567。`);

    const en = (await t.http().post('/v1/cases').send({ channel: 'EMAIL', customerId: english, description: 'A suggestion', priority: 'LOW' }).expect(201)).body;
    await eventually(() => texts.find((m) => m.to === '+8613900139002'), 'the English SMS');
    expect(texts.find((m) => m.to === '+8613900139002')!.text).toBe(
      `Card Centre: we have received your request ${en.caseNumber} and are looking into it. Questions? Call 400-123-4567`,
    );
    // The texts people wrote never go out; the assignment, the comment and IN_PROGRESS sent nothing.
    expect(forMe()).toHaveLength(3);
    expect(texts.map((m) => m.text).join('\n')).not.toMatch(/Checked the gateway|Resent the message|没收到短信/);
  });

  it('a case on no customer tells nobody', async () => {
    const before = texts.length;
    const opened = (await t.http().post('/v1/cases').send({ channel: 'ONLINE_CHAT', description: 'Anonymous question', priority: 'LOW' }).expect(201)).body;
    // A later case with a customer is told: once it is, the anonymous one (before it in the log) has been taken and sent nothing.
    const customerId = await registerCustomer(t, { phone: '13900139003', preferredChannels: ['SMS'] });
    await t.http().post('/v1/cases').send({ channel: 'PHONE', customerId, description: 'x', priority: 'LOW' }).expect(201);
    await eventually(() => texts.find((m) => m.to === '+8613900139003'), 'the later case\'s SMS');
    expect(texts.slice(before).map((m) => m.to)).toEqual(['+8613900139003']);
    expect(opened.caseNumber).toMatch(/^CS-[0-9A-F]{8}$/);
  });
});

/** The text of a quoted-printable MIME body, as the mail reader shows it. */
function unquote(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('the survey link of a resolved case, answered by the customer without an account', () => {
  const dataDir = newDataDir();
  let t: TestApp;
  let smtp: SMTPServer;
  const mails: string[] = [];
  const PAGE = 'https://bank.example/survey?token=';

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp as unknown as { server: { address(): AddressInfo } }).server.address().port;
    t = await startTestApp(dataDir, {
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      SMTP_FROM: 'cards@bank.example',
      NOTIFY_POLL_MS: '20',
      NOTIFY_QUIET_HOURS: quietHoursAwayFromNow(),
      CASE_SURVEY_PAGE_URL: PAGE,
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    removeDataDir(dataDir);
  });

  it('e-mails a signed link with the resolution; the link answers the survey once, and nothing else', async () => {
    const customerId = await registerCustomer(t, { preferredChannels: ['EMAIL'], locale: 'en' });
    const opened = (await t.http().post('/v1/cases').send({ channel: 'EMAIL', customerId, description: 'No SMS came', priority: 'LOW' }).expect(201)).body;
    await t.http().post(`/v1/cases/${opened.caseId}/assignment`).send({ assignee: 'agent-1' }).expect(200);
    await t.http().post(`/v1/cases/${opened.caseId}/status`).send({ status: 'IN_PROGRESS' }).expect(200);
    await t.http().post(`/v1/cases/${opened.caseId}/resolution`).send({ resolution: 'Resent it' }).expect(200);

    const resolved = await eventually(() => mails.map(unquote).find((m) => m.includes(PAGE)), 'the resolution e-mail');
    const link = new RegExp(`${PAGE.replace(/[?]/g, '\\?')}([A-Za-z0-9_-]{27}\\.[A-Za-z0-9_-]{22})`).exec(resolved);
    expect(link).not.toBeNull();
    const token = link![1];
    // Only the resolution carries a link, in its text and its HTML part.
    expect(resolved).toMatch(/^Subject: Your request CS-[0-9A-F]{8} is resolved/m);
    expect(resolved.split(PAGE).length - 1).toBe(2);
    expect(mails.map(unquote).filter((m) => m.includes(PAGE))).toHaveLength(1);

    const shown = await t.http(null).get(`/v1/case-surveys/${token}`).expect(200);
    expect(shown.body).toEqual({ caseNumber: opened.caseNumber, status: 'RESOLVED', answerable: true, answered: false, linkExpiresAt: expect.any(String) });
    expect(Date.parse(shown.body.linkExpiresAt) - Date.now()).toBeGreaterThan(13 * 86_400_000);

    const answered = await t.http(null).post(`/v1/case-surveys/${token}`).send({ score: 5, comment: 'Quick' }).expect(201);
    expect(answered.body).toEqual({ caseNumber: opened.caseNumber, answered: true });
    const again = await t.http(null).post(`/v1/case-surveys/${token}`).send({ score: 1 }).expect(409);
    expect(again.body.code).toBe('SURVEY_ALREADY_ANSWERED');
    const view = await t.http().get(`/v1/cases/${opened.caseId}`).set('X-Access-Reason', 'survey check').expect(200);
    expect(view.body.survey).toMatchObject({ score: 5, via: 'LINK' });

    // A changed token, or one cut short, opens nothing; a bad answer is a 400 naming the field.
    const forged = token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);
    expect((await t.http(null).post(`/v1/case-surveys/${forged}`).send({ score: 5 }).expect(404)).body.code).toBe('SURVEY_LINK_INVALID');
    expect((await t.http(null).get(`/v1/case-surveys/${token.slice(0, 20)}`).expect(404)).body.code).toBe('SURVEY_LINK_INVALID');
    const bad = await t.http(null).post(`/v1/case-surveys/${token}`).send({ score: 9 }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('score');
  });
});

