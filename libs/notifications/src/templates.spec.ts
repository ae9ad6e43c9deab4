import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NOTICE_LOCALES, NOTIFICATION_CATALOG, type NotificationTemplateEntry } from './catalog';
import { defaultTemplatesDir, escapeHtml, NotificationTemplates, TemplateLoadError, TemplateNotFoundError } from './templates';
import { SAMPLE_FACTS, templateValues } from './variables';

/** A templates folder holding one template `t` with SMS and EMAIL in English, from the given files. */
function folderWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
  fs.mkdirSync(path.join(dir, 't'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, 't', name), text);
  return dir;
}
const ONE: NotificationTemplateEntry[] = [
  { templateId: 't', kind: 'TRANSACTIONAL', urgent: false, eventTypes: ['CardActivated'], channels: ['SMS', 'EMAIL'], locales: ['en'], description: 'test' },
];
const GOOD = {
  'sms.en.txt': 'Card ending {{cardLast4}} for {{ customerName }}\n',
  'email.en.subject.txt': 'Hello {{customerName}}\n',
  'email.en.txt': 'Dear {{customerName}},\r\nyour card {{maskedCardNumber}}.\n\n\n',
  'email.en.html': '<p>Dear {{customerName}}</p>\n',
};
function loadError(dir: string): TemplateLoadError {
  try {
    NotificationTemplates.load(dir, ONE);
  } catch (error) {
    if (error instanceof TemplateLoadError) return error;
    throw error;
  }
  throw new Error('expected the templates to be refused');
}

describe('NotificationTemplates: loading and rendering', () => {
  it('given good files, renders text as it is and HTML with the values escaped', () => {
    const templates = NotificationTemplates.load(folderWith(GOOD), ONE);
    const values = { customerName: '<b>O\'Brien & "Co"</b>', cardLast4: '1234', maskedCardNumber: '**** **** **** 1234' };
    expect(templates.render('t', 'SMS', 'en', values)).toEqual({
      channel: 'SMS',
      text: 'Card ending 1234 for <b>O\'Brien & "Co"</b>',
      encoding: 'GSM-7',
      characters: 42,
      segments: 1,
    });
    expect(templates.render('t', 'EMAIL', 'en', values)).toEqual({
      channel: 'EMAIL',
      subject: 'Hello <b>O\'Brien & "Co"</b>',
      text: 'Dear <b>O\'Brien & "Co"</b>,\nyour card **** **** **** 1234.\n',
      html: '<p>Dear &lt;b&gt;O&#39;Brien &amp; &quot;Co&quot;&lt;/b&gt;</p>\n',
    });
    expect(templates.variablesOf('t')).toEqual(['customerName', 'cardLast4', 'maskedCardNumber']);
    expect(escapeHtml('&<>"\'')).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('given an unknown placeholder, refuses to load, naming the file, the line and the placeholder', () => {
    const error = loadError(folderWith({ ...GOOD, 'email.en.txt': 'Dear {{customerName}},\nyour {{cardNumber}}\n' }));
    expect(error.problems).toEqual([expect.stringMatching(/^t\/email\.en\.txt, line 2: unknown placeholder \{\{cardNumber\}\}; the placeholders are \{\{customerName\}\}, /)]);
    expect(error.message).toMatch(/t\/email\.en\.txt, line 2: unknown placeholder \{\{cardNumber\}\}/);
  });

  it('given a placeholder left open, refuses to load, naming the file', () => {
    expect(loadError(folderWith({ ...GOOD, 'sms.en.txt': 'Card {{cardLast4 ending' })).problems).toEqual([
      't/sms.en.txt, line 1: "{{" without its other half (placeholders are written {{name}})',
    ]);
  });

  it('given a missing file for a declared channel and locale, refuses to load, naming the file', () => {
    const { 'email.en.html': _html, ...withoutHtml } = GOOD;
    expect(loadError(folderWith(withoutHtml)).problems).toEqual([expect.stringMatching(/^t\/email\.en\.html: missing \(t declares EMAIL in en\) in /)]);
  });

  it('given an empty file, a two-line subject or a folder nobody declares, lists every problem at once', () => {
    const dir = folderWith({ ...GOOD, 'sms.en.txt': '  \n', 'email.en.subject.txt': 'Hello\nthere' });
    fs.mkdirSync(path.join(dir, 'activation-confirmaton'));
    expect(loadError(dir).problems).toEqual([
      't/sms.en.txt: the file is empty',
      't/email.en.subject.txt: a subject must be one line',
      'activation-confirmaton/: a folder no template of the catalog names (renamed by mistake?)',
    ]);
  });

  it('given an unknown template id, a 404 kind of error; given no value for a placeholder, names it', () => {
    const templates = NotificationTemplates.load(folderWith(GOOD), ONE);
    expect(() => templates.render('nope', 'SMS', 'en', {})).toThrow(TemplateNotFoundError);
    expect(() => templates.render('t', 'SMS', 'en', { cardLast4: '1234' })).toThrow('t/sms.en.txt uses {{customerName}}, which was given no value');
  });
});

describe('the shipped templates', () => {
  const templates = NotificationTemplates.load();

  it('are found beside the library and all load', () => {
    expect(templates.dir).toBe(defaultTemplatesDir());
    expect(templates.catalog.map((e) => e.templateId)).toEqual([
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
  });

  describe.each(NOTIFICATION_CATALOG.flatMap((e) => NOTICE_LOCALES.map((locale) => [e.templateId, locale] as const)))('%s in %s', (templateId, locale) => {
    const values = templateValues(SAMPLE_FACTS, locale);

    it('renders every channel with masked values and nothing left unfilled', () => {
      const sms = templates.render(templateId, 'SMS', locale, values);
      const email = templates.render(templateId, 'EMAIL', locale, values);
      for (const text of [sms.text, email.subject, email.text, email.html]) {
        expect(text).not.toMatch(/\{\{|\}\}/);
        expect(text).not.toContain('欧阳娜娜');
      }
      expect(`${sms.text}${email.text}`).toContain('1234');
      expect(email.html).toMatch(/^<!DOCTYPE html>/);
    });

    it('sends its SMS as one message with realistic values', () => {
      const sms = templates.render(templateId, 'SMS', locale, values);
      expect({ text: sms.text, encoding: sms.encoding, segments: sms.segments }).toEqual({
        text: sms.text,
        encoding: locale === 'en' ? 'GSM-7' : 'UCS-2',
        segments: 1,
      });
      // With the longest name mask (a name of several parts) it still fits.
      const long = templates.render(templateId, 'SMS', locale, { ...values, customerName: '阿***·热***·买***' });
      expect(long.segments).toBe(1);
    });
  });

  it('the activation confirmation carries the confirmation, a usage guide and the precautions', () => {
    const email = templates.render('activation-confirmation', 'EMAIL', 'zh-CN', templateValues(SAMPLE_FACTS, 'zh-CN'));
    expect(email.text).toContain('已于 2026年11月23日 17:05 激活成功');
    expect(email.text).toContain('使用指南');
    expect(email.text).toMatch(/CVV 或短信验证码/);
    expect(email.text).toContain('挂失');
    const en = templates.render('activation-confirmation', 'EMAIL', 'en', templateValues(SAMPLE_FACTS, 'en'));
    expect(en.text).toContain('Dear 欧***,');
    expect(en.text).toContain('**** **** **** 1234) was activated on 23 Nov 2026 17:05');
  });
});
