import * as fs from 'node:fs';
import * as path from 'node:path';
import { DomainError } from '@cards/domain';
import { NOTIFICATION_CATALOG, type NoticeChannel, type NoticeLocale, type NotificationTemplateEntry } from './catalog';
import { smsSegments, type SmsSegments } from './sms-segments';
import { isTemplateVariable, TEMPLATE_VARIABLES, type TemplateValues, type TemplateVariable } from './variables';

/**
 * The template files, loaded and checked once at start-up, then rendered from memory. A template is plain text
 * with placeholders `{{name}}` from TEMPLATE_VARIABLES; values are HTML-escaped in `.html` files only.
 */

/** The parts of a template, each one file. */
export type TemplatePart = 'sms' | 'subject' | 'text' | 'html';

const CHANNEL_PARTS: Record<NoticeChannel, readonly TemplatePart[]> = { SMS: ['sms'], EMAIL: ['subject', 'text', 'html'] };

/** The file of one part in one language, relative to the template's folder. */
export function templateFileName(part: TemplatePart, locale: NoticeLocale): string {
  switch (part) {
    case 'sms':
      return `sms.${locale}.txt`;
    case 'subject':
      return `email.${locale}.subject.txt`;
    case 'text':
      return `email.${locale}.txt`;
    case 'html':
      return `email.${locale}.html`;
  }
}

/** Every problem found in the template files, each naming its file; the service does not start with any. */
export class TemplateLoadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The notification templates have ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TemplateLoadError';
  }
}

type Piece = string | { readonly variable: TemplateVariable };

interface CompiledTemplate {
  /** Path relative to the templates folder, for messages: activation-confirmation/sms.en.txt */
  readonly file: string;
  readonly part: TemplatePart;
  readonly pieces: readonly Piece[];
  readonly variables: readonly TemplateVariable[];
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

function lineOf(source: string, index: number): number {
  return source.slice(0, index).split('\n').length;
}

/** Compiles one file's text, adding a problem for each placeholder it cannot use. */
export function compileTemplate(source: string, file: string, part: TemplatePart, problems: string[]): CompiledTemplate {
  let text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  text = part === 'html' || part === 'text' ? text.replace(/\s+$/, '\n') : text.trim();
  if (text.trim() === '') problems.push(`${file}: the file is empty`);
  if (part === 'subject' && text.includes('\n')) problems.push(`${file}: a subject must be one line`);

  const pieces: Piece[] = [];
  const variables = new Set<TemplateVariable>();
  const literal = (from: number, to: number) => {
    const chunk = text.slice(from, to);
    const stray = /\{\{|\}\}/.exec(chunk);
    if (stray) problems.push(`${file}, line ${lineOf(text, from + stray.index)}: "${stray[0]}" without its other half (placeholders are written {{name}})`);
    if (chunk !== '') pieces.push(chunk);
  };
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    literal(last, match.index);
    const name = match[1].trim();
    if (isTemplateVariable(name)) {
      pieces.push({ variable: name });
      variables.add(name);
    } else {
      problems.push(
        `${file}, line ${lineOf(text, match.index)}: unknown placeholder {{${match[1]}}}; the placeholders are ${Object.keys(TEMPLATE_VARIABLES).map((v) => `{{${v}}}`).join(', ')}`,
      );
    }
    last = match.index + match[0].length;
  }
  literal(last, text.length);
  return { file, part, pieces, variables: [...variables] };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

function fill(template: CompiledTemplate, values: TemplateValues): string {
  return template.pieces
    .map((piece) => {
      if (typeof piece === 'string') return piece;
      const value = values[piece.variable];
      if (value === undefined) throw new Error(`${template.file} uses {{${piece.variable}}}, which was given no value`);
      return template.part === 'html' ? escapeHtml(value) : value;
    })
    .join('');
}

export interface SmsRendering extends SmsSegments {
  readonly channel: 'SMS';
  readonly text: string;
}

export interface EmailRendering {
  readonly channel: 'EMAIL';
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export type Rendering = SmsRendering | EmailRendering;

export class TemplateNotFoundError extends DomainError {
  constructor(templateId: string) {
    super('not_found', 'TEMPLATE_NOT_FOUND', `No notification template "${templateId}"`, { templateId });
  }
}

/**
 * Where the template files are: NOTIFY_TEMPLATES_DIR if set; else `templates` beside this library's `src`
 * (libs/notifications/templates in the source tree, dist/libs/notifications/templates where `nest build`
 * copies them); else libs/notifications/templates in a folder above (running a build without the copy).
 */
export function defaultTemplatesDir(env: Record<string, string | undefined> = process.env): string {
  if (env.NOTIFY_TEMPLATES_DIR) return path.resolve(env.NOTIFY_TEMPLATES_DIR);
  const beside = path.resolve(__dirname, '..', 'templates');
  if (fs.existsSync(beside)) return beside;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'libs', 'notifications', 'templates');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return beside;
  }
}

export class NotificationTemplates {
  private constructor(
    readonly dir: string,
    readonly catalog: readonly NotificationTemplateEntry[],
    private readonly compiled: ReadonlyMap<string, CompiledTemplate>,
  ) {}

  /** Reads and checks every file the catalog declares; throws TemplateLoadError listing all problems. */
  static load(dir: string = defaultTemplatesDir(), catalog: readonly NotificationTemplateEntry[] = NOTIFICATION_CATALOG): NotificationTemplates {
    const problems: string[] = [];
    const compiled = new Map<string, CompiledTemplate>();
    if (!fs.existsSync(dir)) throw new TemplateLoadError([`the templates folder ${dir} does not exist (set NOTIFY_TEMPLATES_DIR)`]);
    for (const entry of catalog) {
      for (const channel of entry.channels) {
        for (const locale of entry.locales) {
          for (const part of CHANNEL_PARTS[channel]) {
            const file = `${entry.templateId}/${templateFileName(part, locale)}`;
            let source: string;
            try {
              source = fs.readFileSync(path.join(dir, file), 'utf8');
            } catch {
              problems.push(`${file}: missing (${entry.templateId} declares ${channel} in ${locale}) in ${dir}`);
              continue;
            }
            compiled.set(file, compileTemplate(source, file, part, problems));
          }
        }
      }
    }
    const known = new Set(catalog.map((e) => e.templateId));
    for (const name of fs.readdirSync(dir, { withFileTypes: true })) {
      if (name.isDirectory() && !known.has(name.name)) problems.push(`${name.name}/: a folder no template of the catalog names (renamed by mistake?)`);
    }
    if (problems.length > 0) throw new TemplateLoadError(problems);
    return new NotificationTemplates(dir, catalog, compiled);
  }

  entry(templateId: string): NotificationTemplateEntry {
    const found = this.catalog.find((e) => e.templateId === templateId);
    if (!found) throw new TemplateNotFoundError(templateId);
    return found;
  }

  /** The placeholders one template uses, over all its files. */
  variablesOf(templateId: string): TemplateVariable[] {
    const used = new Set<TemplateVariable>();
    for (const template of this.compiled.values()) {
      if (template.file.startsWith(`${templateId}/`)) template.variables.forEach((v) => used.add(v));
    }
    return Object.keys(TEMPLATE_VARIABLES).filter((v): v is TemplateVariable => used.has(v as TemplateVariable));
  }

  render(templateId: string, channel: 'SMS', locale: NoticeLocale, values: TemplateValues): SmsRendering;
  render(templateId: string, channel: 'EMAIL', locale: NoticeLocale, values: TemplateValues): EmailRendering;
  render(templateId: string, channel: NoticeChannel, locale: NoticeLocale, values: TemplateValues): Rendering;
  render(templateId: string, channel: NoticeChannel, locale: NoticeLocale, values: TemplateValues): Rendering {
    const entry = this.entry(templateId);
    if (!entry.channels.includes(channel) || !entry.locales.includes(locale)) {
      throw new Error(`Template ${templateId} has no ${channel} text in ${locale}`);
    }
    const part = (p: TemplatePart) => fill(this.compiled.get(`${templateId}/${templateFileName(p, locale)}`)!, values);
    if (channel === 'SMS') {
      const text = part('sms');
      return { channel, text, ...smsSegments(text) };
    }
    return { channel, subject: part('subject'), text: part('text'), html: part('html') };
  }
}
