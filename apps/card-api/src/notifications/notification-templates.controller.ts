import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  DEFAULT_TIME_ZONE,
  formatQuietHours,
  ignoresQuietHours,
  NOTICE_CHANNELS,
  NOTICE_LOCALES,
  NotificationTemplates,
  QUIET_HOURS,
  DEFAULT_REACTOR_CONFIG,
  type NotificationReactorConfig,
  SAMPLE_FACTS,
  templateValues,
  type NoticeChannel,
  type NoticeLocale,
  type QuietHours,
} from '@cards/notifications';
import { InvalidRequestError } from '@cards/platform';

/** A query value from a fixed list, or the default when absent; a 400 naming the field otherwise. */
function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidRequestError([{ field, reason: `must be one of ${allowed.join(', ')}` }]);
}

@ApiTags('notifications')
@Controller('v1/notification-templates')
export class NotificationTemplatesController {
  constructor(
    private readonly templates: NotificationTemplates,
    @Inject(QUIET_HOURS) private readonly quietHours: QuietHours,
    private readonly config: ConfigService,
  ) {}

  /** The hotline the notices name (NOTIFY_HOTLINE): the preview shows the real one. */
  private get hotline(): string {
    return (this.config.get<{ notificationReactor?: NotificationReactorConfig }>('app')?.notificationReactor ?? DEFAULT_REACTOR_CONFIG).hotline;
  }

  @Get()
  @ApiOkResponse({
    description: 'Every notification template: which events send it, how urgent it is, its channels and languages, and the quiet hours in force',
    schema: {
      example: {
        quietHours: { hours: '22:00-08:00', defaultTimeZone: 'Asia/Shanghai' },
        items: [
          {
            templateId: 'activation-confirmation',
            kind: 'TRANSACTIONAL',
            waitsForQuietHours: false,
            eventTypes: ['CardActivated'],
            channels: ['SMS', 'EMAIL'],
            locales: ['zh-CN', 'en'],
            variables: ['customerName', 'cardLast4', 'maskedCardNumber', 'product', 'occurredAt', 'hotline'],
            description: 'The card is active: confirmation, a short usage guide and the precautions',
          },
        ],
      },
    },
  })
  list() {
    return {
      quietHours: { hours: formatQuietHours(this.quietHours), defaultTimeZone: DEFAULT_TIME_ZONE },
      items: this.templates.catalog.map((entry) => ({
        templateId: entry.templateId,
        kind: entry.kind,
        waitsForQuietHours: !ignoresQuietHours(entry),
        eventTypes: entry.eventTypes,
        ...(entry.when !== undefined && { when: entry.when }),
        channels: entry.channels,
        locales: entry.locales,
        variables: this.templates.variablesOf(entry.templateId),
        description: entry.description,
      })),
    };
  }

  @Get(':templateId/preview')
  @ApiQuery({ name: 'locale', required: false, enum: NOTICE_LOCALES, description: 'Default zh-CN' })
  @ApiQuery({ name: 'channel', required: false, enum: NOTICE_CHANNELS, description: 'Default: every channel of the template' })
  @ApiOkResponse({
    description: 'The template rendered with sample values (a fictitious customer, masked as a real notice would be); for SMS, its encoding, length and number of messages',
    schema: {
      example: {
        templateId: 'activation-confirmation',
        kind: 'TRANSACTIONAL',
        locale: 'zh-CN',
        variables: { customerName: '欧***', cardLast4: '1234', maskedCardNumber: '**** **** **** 1234', product: '借记卡' },
        sms: { text: '【卡中心】欧***，您尾号1234的借记卡已激活。…', encoding: 'UCS-2', characters: 58, segments: 1 },
        email: { subject: '您尾号1234的借记卡已激活', text: '…', html: '<!DOCTYPE html>…' },
      },
    },
  })
  @ApiNotFoundResponse({ description: 'No such template (TEMPLATE_NOT_FOUND)' })
  @ApiBadRequestResponse({ description: 'locale or channel is not one of the allowed values (the problem names the field)' })
  preview(@Param('templateId') templateId: string, @Query('locale') localeParam?: unknown, @Query('channel') channelParam?: unknown) {
    const locale: NoticeLocale = oneOf('locale', localeParam, NOTICE_LOCALES) ?? 'zh-CN';
    const channel = oneOf<NoticeChannel>('channel', channelParam, NOTICE_CHANNELS);
    const entry = this.templates.entry(templateId);
    const values = templateValues({ ...SAMPLE_FACTS, hotline: this.hotline }, locale);
    const channels = channel === undefined ? entry.channels : entry.channels.filter((c) => c === channel);
    const rendered: Record<string, unknown> = {};
    for (const c of channels) {
      const { channel: _channel, ...rendering } = this.templates.render(templateId, c, locale, values);
      rendered[c === 'SMS' ? 'sms' : 'email'] = rendering;
    }
    return { templateId, kind: entry.kind, locale, variables: values, ...rendered };
  }
}
