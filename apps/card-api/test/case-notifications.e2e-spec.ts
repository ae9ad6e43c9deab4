import { ScriptedHttpServer } from '@cards/notifications/channels/testing/scripted-http-server';
import { newDataDir, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { registerCustomer } from './support/lifecycle-steps';

jest.setTimeout(30_000);

/** Polls until `check` returns a value (not undefined), or fails with what it last saw. */
async function eventually<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

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
