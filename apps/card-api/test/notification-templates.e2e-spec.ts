import { removeDataDir, startTestApp, type TestApp } from './support/test-app';

const PROBLEM = /application\/problem\+json/;

describe('notification templates: list and preview', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(undefined, { NOTIFY_HOTLINE: '95588' });
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('given an agent, lists every template with its events, kind, channels, languages and placeholders', async () => {
    const agent = await t.token({ roles: ['agent'] });
    const res = await t.http(agent).get('/v1/notification-templates').expect(200);
    expect(res.body.quietHours).toEqual({ hours: '22:00-08:00', defaultTimeZone: 'Asia/Shanghai' });
    expect(res.body.items.map((i: { templateId: string }) => i.templateId)).toEqual([
      'activation-confirmation',
      'identity-verification-failed',
      'identity-review-requested',
      'dispute-opened',
      'dispute-resolved',
      'card-suspended',
      'card-cancelled',
      'security-alert-wrong-cvv',
      'case-received',
      'case-waiting-customer',
      'case-resolved',
    ]);
    expect(res.body.items[0]).toEqual({
      templateId: 'activation-confirmation',
      kind: 'TRANSACTIONAL',
      waitsForQuietHours: false,
      eventTypes: ['CardActivated'],
      channels: ['SMS', 'EMAIL'],
      locales: ['zh-CN', 'en'],
      variables: ['customerName', 'cardLast4', 'maskedCardNumber', 'product', 'occurredAt', 'hotline'],
      description: expect.stringMatching(/usage guide and the precautions/),
    });
    expect(res.body.items.find((i: { templateId: string }) => i.templateId === 'security-alert-wrong-cvv')).toMatchObject({
      kind: 'SECURITY',
      waitsForQuietHours: false,
      eventTypes: ['ActivationAttemptFailed'],
      when: 'data.reason is CVV_MISMATCH',
    });
    expect(res.body.items.find((i: { templateId: string }) => i.templateId === 'card-suspended')).toMatchObject({ waitsForQuietHours: true });
  });

  it('given an analyst, previews the SMS in Chinese with sample masked values and its segments', async () => {
    const analyst = await t.token({ roles: ['analyst'] });
    const res = await t.http(analyst).get('/v1/notification-templates/activation-confirmation/preview').query({ locale: 'zh-CN', channel: 'SMS' }).expect(200);
    expect(res.body).toEqual({
      templateId: 'activation-confirmation',
      kind: 'TRANSACTIONAL',
      locale: 'zh-CN',
      variables: expect.objectContaining({ customerName: '欧***', maskedCardNumber: '**** **** **** 1234', product: '借记卡' }),
      sms: { text: expect.stringContaining('欧***，您尾号1234的借记卡已激活'), encoding: 'UCS-2', characters: expect.any(Number), segments: 1 },
    });
    expect(res.body.sms.characters).toBeLessThanOrEqual(70);
    expect(res.body.email).toBeUndefined();
  });

  it('given an admin, previews the e-mail in English: subject, text and HTML', async () => {
    const admin = await t.token({ roles: ['admin'] });
    const res = await t.http(admin).get('/v1/notification-templates/security-alert-wrong-cvv/preview').query({ locale: 'en', channel: 'EMAIL' }).expect(200);
    expect(res.body.sms).toBeUndefined();
    expect(res.body.email).toEqual({
      subject: 'Security alert: a failed activation of your card ending 1234',
      text: expect.stringContaining('On 23 Nov 2026 17:05 someone tried to activate your debit card (**** **** **** 1234)'),
      html: expect.stringMatching(/^<!DOCTYPE html>[\s\S]*<p>Dear 欧\*\*\*,<\/p>/),
    });
    // The hotline is the configured one (NOTIFY_HOTLINE), as in the notices sent.
    expect(res.body.email.text).toContain('95588');
    expect(res.body.email.text).not.toContain('400-800-1234');
  });

  it('without a locale or channel, previews every channel in zh-CN', async () => {
    const res = await t.http().get('/v1/notification-templates/dispute-opened/preview').expect(200);
    expect(res.body).toMatchObject({ locale: 'zh-CN', sms: { segments: 1 }, email: { subject: expect.any(String) } });
  });

  it('given an unknown template, 404 problem naming it', async () => {
    const res = await t.http().get('/v1/notification-templates/no-such-template/preview').query({ locale: 'en' }).expect(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 404, code: 'TEMPLATE_NOT_FOUND', templateId: 'no-such-template' });
  });

  it.each([
    ['locale', { locale: 'fr' }, 'must be one of zh-CN, en'],
    ['channel', { channel: 'PUSH' }, 'must be one of SMS, EMAIL'],
  ])('given a bad %s, 400 naming the field', async (field, query, reason) => {
    const res = await t.http().get('/v1/notification-templates/activation-confirmation/preview').query(query).expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field, reason }] });
  });

  it('refuses the issuer and the auditor (403)', async () => {
    for (const role of ['issuer', 'auditor']) {
      const token = await t.token({ roles: [role] });
      await t.http(token).get('/v1/notification-templates').expect(403);
      await t.http(token).get('/v1/notification-templates/activation-confirmation/preview').expect(403);
    }
  });
});
