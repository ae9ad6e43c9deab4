import { ProgressBar } from './progress-bar';
import { callService, DEFAULT_SERVICE_URL, ServiceError, ServiceUnreachableError } from './service-client';
import { serviceTokenSource, type TokenSource } from './service-token';
import { NoTokenError } from './signing-secret';

/** A problem as card-api reports it (GET /v1/audit/verifications/{id}). */
interface Problem {
  readonly code: string;
  readonly streamId: string;
  readonly revision: number;
  readonly message: string;
  readonly checkpoint?: number;
}

/** What card-api answers for a full verification (POST and GET /v1/audit/verifications). */
interface Verification {
  readonly verificationId: string;
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly ok: boolean | null;
  readonly eventsChecked: number;
  readonly eventsTotal: number | null;
  readonly eventsTotalIsEstimate: boolean;
  readonly streamsChecked: number;
  readonly checkpointsChecked: number;
  readonly signedHeadsChecked: number;
  readonly eventsPerSecond: number;
  readonly upToPosition: string | null;
  readonly problemCount: number;
  readonly problems: readonly Problem[];
  readonly error: string | null;
  readonly message: string;
}

export interface VerifyAllOptions {
  readonly url?: string;
  /** The bearer token for each request (an auditor's or an admin's). */
  readonly token?: TokenSource;
  /** How often to ask how far it got (default 500 ms). */
  readonly pollMs?: number;
  /** Give up following it after this long (default 24 h); the verification itself goes on in the service. */
  readonly timeoutMs?: number;
  readonly progressOut?: ConstructorParameters<typeof ProgressBar>[0];
}

export const VERIFY_ALL_USAGE = 'usage: card-cli verify --all [--url URL] [--token TOKEN]';
const PATH = '/v1/audit/verifications';

/** `card-cli verify --all …`, from parsed arguments. */
export async function verifyAllCommand(
  positional: readonly string[],
  options: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; message: string }> {
  const unknown = Object.keys(options).filter((o) => !['all', 'url', 'token'].includes(o));
  if (positional.length > 0 || unknown.length > 0 || options.all !== '') {
    const why = unknown.length > 0 ? `Unknown option --${unknown[0]}.\n` : positional.length > 0 || options.all !== '' ? 'verify --all takes no other argument.\n' : '';
    return { exitCode: 2, message: `${why}${VERIFY_ALL_USAGE}` };
  }
  return verifyAll({ token: serviceTokenSource(options.token, env, 'auditor'), ...(options.url && { url: options.url }) });
}

/**
 * `card-cli verify --all`: asks the running card-api to verify the whole event store (every stream's hash chain,
 * every checkpoint's signature, every signed head), follows it with a progress bar (events/s), and prints a summary
 * and each problem found: stream, revision, code, message. If a verification is already running in that instance,
 * follows that one. Exit codes: 0 no problem, 1 problems found, 2 it could not run (or stopped half-way).
 */
export async function verifyAll(options: VerifyAllOptions = {}): Promise<{ exitCode: number; message: string }> {
  const url = options.url ?? DEFAULT_SERVICE_URL;
  const bar = new ProgressBar(options.progressOut);
  try {
    let verification = await startOrJoin(url, options.token);
    const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
    for (;;) {
      showProgress(bar, verification);
      if (verification.state !== 'running') break;
      if (Date.now() > deadline) {
        return {
          exitCode: 2,
          message: `Stopped following verification ${verification.verificationId} (still running in card-api): follow it with GET ${PATH}/${verification.verificationId}`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      verification = await callService<Verification>(url, `${PATH}/${verification.verificationId}`, {}, options.token);
    }
    bar.done(`verification ${verification.verificationId}: ${verification.state}${verification.ok === null ? '' : verification.ok ? ', no problem' : ', problems found'}`);
    const message = report(verification, bar.seconds);
    if (verification.state === 'failed') return { exitCode: 2, message };
    return { exitCode: verification.ok === true ? 0 : 1, message };
  } catch (error) {
    if (error instanceof ServiceUnreachableError || error instanceof ServiceError || error instanceof NoTokenError) {
      return { exitCode: 2, message: error.message };
    }
    return { exitCode: 2, message: `The verification could not be followed: ${(error as Error).message}` };
  }
}

/** Starts a verification; when one already runs in that instance (409), follows that one instead. */
async function startOrJoin(url: string, token: TokenSource | undefined): Promise<Verification> {
  try {
    return await callService<Verification>(url, PATH, { method: 'POST' }, token);
  } catch (error) {
    const running = error instanceof ServiceError && error.status === 409 ? (error.problem as { verificationId?: unknown } | null)?.verificationId : undefined;
    if (typeof running !== 'string') throw error;
    return callService<Verification>(url, `${PATH}/${running}`, {}, token);
  }
}

function showProgress(bar: ProgressBar, v: Verification): void {
  const total = v.state === 'running' ? (v.eventsTotal === null ? null : Math.max(v.eventsTotal, v.eventsChecked)) : v.eventsChecked;
  const note = `${v.streamsChecked} streams, ${v.checkpointsChecked} checkpoints${v.problemCount > 0 ? `, ${v.problemCount} problems` : ''}${v.state === 'running' && v.eventsTotalIsEstimate && total !== null ? ' (total estimated)' : ''}`;
  bar.update(v.eventsChecked, total, 'events', note);
}

function report(v: Verification, seconds: number): string {
  const lines = [
    `Verification ${v.verificationId} ${v.state}: ${count(v.eventsChecked, 'event')}, ${count(v.streamsChecked, 'stream')}, ${count(v.checkpointsChecked, 'checkpoint')}, ` +
      `${count(v.signedHeadsChecked, 'signed head')} checked${v.upToPosition === null ? '' : ` up to position ${v.upToPosition}`}, ` +
      `${count(v.problemCount, 'problem')}, in ${seconds.toFixed(1)} s (${v.eventsPerSecond} events/s in the service).`,
    v.message,
  ];
  for (const p of v.problems) {
    lines.push(`  ${p.code} ${p.streamId} revision ${p.revision}${p.checkpoint === undefined ? '' : ` (checkpoint ${p.checkpoint})`}: ${p.message}`);
  }
  if (v.problemCount > v.problems.length) {
    lines.push(`  … and ${v.problemCount - v.problems.length} more (the service lists the first ${v.problems.length}; GET ${PATH}/${v.verificationId} counts them by code)`);
  }
  return lines.join('\n');
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
