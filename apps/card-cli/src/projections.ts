import { ProgressBar } from './progress-bar';
import { callService, DEFAULT_SERVICE_URL, ServiceError, ServiceUnreachableError } from './service-client';
import type { TokenSource } from './service-token';
import { NoTokenError } from './signing-secret';

interface ProjectionStatus {
  readonly name: string;
  readonly state: string;
  readonly eventsApplied: number;
  readonly lagEvents: number;
  readonly lagCapped: boolean;
  readonly eventsPerSecond: number;
  readonly error: string | null;
}

export interface RebuildOptions {
  readonly name?: string;
  readonly url?: string;
  /** The bearer token for each request (an admin's); none: requests go without one. */
  readonly token?: TokenSource;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  readonly progressOut?: ConstructorParameters<typeof ProgressBar>[0];
}

/**
 * `card-cli projections rebuild [name]`: asks the running service to rebuild one projection (or each in turn)
 * from position zero, and follows it with a progress bar and an events/s figure while the others stay live.
 */
export async function rebuildProjections(options: RebuildOptions): Promise<{ exitCode: number; message: string }> {
  const url = options.url ?? DEFAULT_SERVICE_URL;
  try {
    const all = (await callService<{ items: ProjectionStatus[] }>(url, '/v1/projections', {}, options.token)).items;
    const names = options.name ? [options.name] : all.map((p) => p.name);
    if (options.name && !all.some((p) => p.name === options.name)) {
      return { exitCode: 2, message: `No projection named "${options.name}". Known: ${all.map((p) => p.name).join(', ')}` };
    }
    const lines: string[] = [];
    for (const name of names) lines.push(await rebuildOne(url, name, options));
    return { exitCode: 0, message: lines.join('\n') };
  } catch (error) {
    if (error instanceof ServiceUnreachableError || error instanceof ServiceError || error instanceof NoTokenError) {
      return { exitCode: 2, message: error.message };
    }
    return { exitCode: 1, message: (error as Error).message };
  }
}

async function rebuildOne(url: string, name: string, options: RebuildOptions): Promise<string> {
  const bar = new ProgressBar(options.progressOut);
  await callService(url, `/v1/projections/${encodeURIComponent(name)}/rebuild`, { method: 'POST' }, options.token);
  const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
  for (;;) {
    const status = (await callService<{ items: ProjectionStatus[] }>(url, '/v1/projections', {}, options.token)).items.find((p) => p.name === name);
    if (!status) throw new Error(`Projection ${name} disappeared during its rebuild`);
    const total = status.lagCapped ? null : status.eventsApplied + status.lagEvents;
    bar.update(status.eventsApplied, total, 'events', `${name} ${status.state}`);
    if (status.state === 'failed') throw new Error(`Rebuild of ${name} failed: ${status.error ?? 'unknown error'}`);
    if (status.state === 'standby') {
      // The service lost the projections lease meanwhile: the process that took it replays from the emptied checkpoint.
      throw new Error(`The service at ${url} went on standby during the rebuild of ${name} (another process took the projections lease); follow it there with GET /v1/projections`);
    }
    if (status.state === 'live' && status.lagEvents === 0) {
      const seconds = bar.seconds;
      const message = `${name}: rebuilt ${status.eventsApplied} events in ${seconds.toFixed(1)} s (${Math.round(status.eventsApplied / Math.max(seconds, 0.001))} events/s)`;
      bar.done(message);
      return message;
    }
    if (Date.now() > deadline) throw new Error(`Rebuild of ${name} did not finish in time`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
