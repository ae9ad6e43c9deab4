import { callService, DEFAULT_SERVICE_URL, ServiceError, ServiceUnreachableError } from './service-client';
import { serviceTokenSource, type TokenSource } from './service-token';
import { NoTokenError } from './signing-secret';

interface AuditEvent {
  readonly revision: number;
  readonly position: string;
  readonly type: string;
  readonly metadata: { actor?: { id?: string; role?: string }; occurredAt?: string; hash?: string };
  readonly recordedAt: string;
}

interface ReplayedState {
  readonly streamId: string;
  readonly asOf: { revision: number | null; at: string | null };
  readonly existed: boolean;
  readonly revision: number | null;
  readonly state: object | null;
  readonly events: AuditEvent[];
}

interface StreamVerification {
  readonly streamId: string;
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly firstBadRevision?: number;
  readonly problem?: { code: string; message: string };
  readonly checkpoint: { checkpoint: number; revision: number; ok: boolean } | null;
  readonly eventsAfterCheckpoint: number;
}

export interface ReplayOptions {
  readonly kind: 'card' | 'customer';
  readonly id: string;
  readonly asOf?: string;
  readonly revision?: number;
  readonly json?: boolean;
  readonly url?: string;
  readonly token: TokenSource;
}

const USAGE_REPLAY = 'usage: card-cli replay <cardId> | --customer <customerId> [--as-of ISO-8601 | --revision N] [--json] [--url URL] [--token TOKEN]';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The replay as a person reads it: what was asked, each event on a line, then the state it made. */
export function formatReplay(replay: ReplayedState): string {
  const asked = replay.asOf.revision !== null ? `as of revision ${replay.asOf.revision}` : replay.asOf.at !== null ? `as the service knew it at ${replay.asOf.at}` : 'now';
  const lines = [`${replay.streamId}, ${asked}: ${replay.events.length} event(s)`, ''];
  lines.push(`${pad('rev', 4)} ${pad('position', 10)} ${pad('recorded at', 25)} ${pad('type', 32)} actor`);
  for (const e of replay.events) {
    const actor = e.metadata.actor ? `${e.metadata.actor.id ?? '?'} (${e.metadata.actor.role ?? '?'})` : '';
    lines.push(`${pad(String(e.revision), 4)} ${pad(e.position, 10)} ${pad(e.recordedAt, 25)} ${pad(e.type, 32)} ${actor}`);
  }
  lines.push('');
  lines.push(replay.existed ? `state at revision ${replay.revision}:` : 'it did not exist yet at that point');
  if (replay.state !== null) lines.push(JSON.stringify(replay.state, null, 2));
  return lines.join('\n');
}

/** `card-cli replay`: a card's (or customer's) state at any revision or instant, from the running service's audit API. */
export async function replay(options: ReplayOptions): Promise<{ exitCode: number; output: string }> {
  const query = new URLSearchParams();
  if (options.revision !== undefined) query.set('asOfRevision', String(options.revision));
  if (options.asOf !== undefined) query.set('asOf', options.asOf);
  const path = `/v1/audit/${options.kind}s/${encodeURIComponent(options.id)}/state${query.size > 0 ? `?${query}` : ''}`;
  try {
    const result = await callService<ReplayedState>(options.url ?? DEFAULT_SERVICE_URL, path, {}, options.token);
    return { exitCode: 0, output: options.json ? JSON.stringify(result, null, 2) : formatReplay(result) };
  } catch (error) {
    if (error instanceof ServiceUnreachableError || error instanceof ServiceError || error instanceof NoTokenError) return { exitCode: 2, output: error.message };
    throw error;
  }
}

/** `card-cli verify --card ID | --customer ID`: one stream's chain and its latest signed checkpoint. Exit 1 on any problem. */
export async function verifyOne(options: Omit<ReplayOptions, 'asOf' | 'revision'>): Promise<{ exitCode: number; output: string }> {
  try {
    const result = await callService<StreamVerification>(
      options.url ?? DEFAULT_SERVICE_URL,
      `/v1/audit/${options.kind}s/${encodeURIComponent(options.id)}/verification`,
      {},
      options.token,
    );
    if (options.json) return { exitCode: result.ok ? 0 : 1, output: JSON.stringify(result, null, 2) };
    const checkpoint =
      result.checkpoint === null
        ? `no signed checkpoint covers it yet (its ${result.eventsAfterCheckpoint} event(s) rest on the chain alone)`
        : `checkpoint ${result.checkpoint.checkpoint} signed revision ${result.checkpoint.revision}: ${result.checkpoint.ok ? 'held' : 'NOT held'}` +
          (result.eventsAfterCheckpoint > 0 ? `; ${result.eventsAfterCheckpoint} newer event(s) on the chain alone` : '');
    const verdict = result.ok
      ? `OK: ${result.streamId}, ${result.eventsChecked} event(s) verified; ${checkpoint}`
      : `PROBLEM: ${result.streamId} at revision ${result.firstBadRevision}: ${result.problem?.code} ${result.problem?.message}\n${checkpoint}`;
    return { exitCode: result.ok ? 0 : 1, output: verdict };
  } catch (error) {
    if (error instanceof ServiceUnreachableError || error instanceof ServiceError || error instanceof NoTokenError) return { exitCode: 2, output: error.message };
    throw error;
  }
}

/** Parses `replay` arguments; the token is an auditor's (self-signed on the embedded default). */
export function replayCommand(positional: readonly string[], options: Record<string, string>, env: NodeJS.ProcessEnv): Promise<{ exitCode: number; output: string }> | { exitCode: number; output: string } {
  const id = options.customer || options.card || positional[0];
  if (!id) return { exitCode: 2, output: USAGE_REPLAY };
  if (options['as-of'] !== undefined && options.revision !== undefined) return { exitCode: 2, output: `give --as-of or --revision, not both\n${USAGE_REPLAY}` };
  if (options.revision !== undefined && !/^\d+$/.test(options.revision)) return { exitCode: 2, output: `--revision must be a revision number (0, 1, …)\n${USAGE_REPLAY}` };
  return replay({
    kind: options.customer ? 'customer' : 'card',
    id,
    ...(options['as-of'] !== undefined && { asOf: options['as-of'] }),
    ...(options.revision !== undefined && { revision: Number(options.revision) }),
    json: 'json' in options,
    ...(options.url && { url: options.url }),
    token: serviceTokenSource(options.token, env, 'auditor'),
  });
}
