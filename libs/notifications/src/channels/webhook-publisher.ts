import { Logger } from '@nestjs/common';
import type { ChannelFailureReason, ChannelLog } from './channel';
import { postOnce, withRetries, type Interpretation } from './http-post';
import { WEBHOOK_HEADERS, webhookSignature } from './webhook-signature';

/** A lifecycle event as internal systems receive it: the JSON body of every delivery. */
export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  readonly data: unknown;
  readonly metadata: unknown;
  /** An ISO 8601 instant (a Date is sent as one). */
  readonly recordedAt: string | Date;
}

export type WebhookDelivery =
  | { readonly target: string; readonly outcome: 'DELIVERED'; readonly status: number; readonly attempts: number }
  | {
      readonly target: string;
      readonly outcome: 'RETRYABLE' | 'PERMANENT';
      readonly reason: ChannelFailureReason;
      readonly error: string;
      readonly attempts: number;
    };

export interface WebhookPublishResult {
  readonly eventId: string;
  /** One per URL of WEBHOOK_URLS, in their order; empty when none is configured. */
  readonly deliveries: readonly WebhookDelivery[];
}

export interface WebhookPublisher {
  /** Delivers to every URL, each independently; resolves whatever happens. */
  publish(event: WebhookEvent): Promise<WebhookPublishResult>;
}

export interface HttpWebhookPublisherOptions {
  /** WEBHOOK_URLS: full http(s) URLs, each POSTed to as it is. */
  readonly urls: readonly string[];
  /** WEBHOOK_SECRET (≥ 32 bytes). Never logged. */
  readonly secret: string;
  /** WEBHOOK_TIMEOUT_MS: one attempt, answer included. */
  readonly timeoutMs: number;
  /** WEBHOOK_RETRIES: attempts after the first on timeouts, failed connections, 429 and 5xx. */
  readonly retries: number;
  readonly backoffBaseMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxRetryAfterMs?: number;
  readonly random?: () => number;
  /** Unix time in seconds, for the signature's timestamp. */
  readonly now?: () => number;
  readonly log?: ChannelLog;
}

export const WEBHOOK_TUNING = {
  backoffBaseMs: 500,
  maxBackoffMs: 8000,
  maxRetryAfterMs: 30_000,
  maxResponseBytes: 4096,
} as const;

/** A URL as results and logs show it: scheme, host and path; a query (which may hold a token) is left out. */
export function webhookTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Webhooks for internal systems (docs/notifications.md, "Webhooks"): the event as JSON, POSTed to each URL with
 * `X-Cards-Event-Id`, `X-Cards-Timestamp` and `X-Cards-Signature`. Each attempt is signed afresh (a new
 * timestamp), so a delivery retried minutes later is still inside the receiver's tolerance; the event id stays
 * the same, for the receiver to drop a repeat. Any 2xx is delivered; 429, 5xx, timeouts and failed connections
 * are retried with backoff; another 4xx is PERMANENT for that URL.
 */
export class HttpWebhookPublisher implements WebhookPublisher {
  private readonly log: ChannelLog;

  constructor(private readonly options: HttpWebhookPublisherOptions) {
    this.log = options.log ?? new Logger(HttpWebhookPublisher.name);
  }

  async publish(event: WebhookEvent): Promise<WebhookPublishResult> {
    const rawBody = JSON.stringify({
      id: event.id,
      type: event.type,
      streamId: event.streamId,
      data: event.data ?? null,
      metadata: event.metadata ?? null,
      recordedAt: event.recordedAt instanceof Date ? event.recordedAt.toISOString() : event.recordedAt,
    });
    const deliveries = await Promise.all(this.options.urls.map((url) => this.deliver(url, String(event.id), rawBody)));
    return { eventId: String(event.id), deliveries };
  }

  private async deliver(url: string, eventId: string, rawBody: string): Promise<WebhookDelivery> {
    const target = webhookTarget(url);
    const tag = `[event ${eventId.slice(0, 80)} to ${target}]`;
    const now = this.options.now ?? (() => Math.floor(Date.now() / 1000));
    const result = await withRetries(
      {
        retries: this.options.retries,
        backoffBaseMs: this.options.backoffBaseMs ?? WEBHOOK_TUNING.backoffBaseMs,
        maxBackoffMs: this.options.maxBackoffMs ?? WEBHOOK_TUNING.maxBackoffMs,
        maxRetryAfterMs: this.options.maxRetryAfterMs ?? WEBHOOK_TUNING.maxRetryAfterMs,
        random: this.options.random ?? Math.random,
        retriesVariable: 'WEBHOOK_RETRIES',
      },
      async (): Promise<Interpretation<number>> => {
        const timestamp = now();
        const answer = await postOnce({
          url,
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_HEADERS.eventId]: eventId,
            [WEBHOOK_HEADERS.timestamp]: String(timestamp),
            [WEBHOOK_HEADERS.signature]: webhookSignature(rawBody, this.options.secret, timestamp),
          },
          body: rawBody,
          timeoutMs: this.options.timeoutMs,
          maxResponseBytes: WEBHOOK_TUNING.maxResponseBytes,
        });
        return answer.ok ? { ok: true, value: answer.status } : answer;
      },
      (attempt, summary, waitMs) => this.log.warn(`Webhook attempt ${attempt} failed (${summary}); retrying in ${waitMs} ms ${tag}`),
    );
    if (result.ok) return { target, outcome: 'DELIVERED', status: result.value, attempts: result.attempts };
    const error = `Webhook ${result.error}`;
    this.log.warn(`${error} ${tag}`);
    return { target, outcome: result.retryable ? 'RETRYABLE' : 'PERMANENT', reason: result.reason, error, attempts: result.attempts };
  }
}

/** Without WEBHOOK_URLS: nothing to deliver to; every publish answers no deliveries, without I/O. */
export class NoWebhookPublisher implements WebhookPublisher {
  publish(event: WebhookEvent): Promise<WebhookPublishResult> {
    return Promise.resolve({ eventId: String(event.id), deliveries: [] });
  }
}
