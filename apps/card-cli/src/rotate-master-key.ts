import { ProgressBar } from './progress-bar';
import { callService, DEFAULT_SERVICE_URL, ServiceError, ServiceUnreachableError } from './service-client';
import { serviceTokenSource, type TokenSource } from './service-token';
import { NoTokenError } from './signing-secret';

/** What card-api answers for a master key rotation (POST and GET /v1/admin/pii/master-key-rotations). */
interface Rotation {
  readonly rotationId: string;
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly fromMasterKeyIds: readonly string[];
  readonly toMasterKeyId: string;
  readonly total: number;
  readonly rewrapped: number;
  readonly skipped: number;
  readonly failed: number;
  readonly failures: readonly { readonly subjectId: string; readonly masterKeyId: string; readonly error: string }[];
  readonly remaining: number | null;
  readonly error: string | null;
  readonly message: string;
}

export interface RotateMasterKeyOptions {
  readonly url?: string;
  /** The bearer token for each request (an admin's). */
  readonly token?: TokenSource;
  /** How often to ask how far it got (default 500 ms). */
  readonly pollMs?: number;
  /** Give up following it after this long (default 24 h); the rotation itself goes on in the service. */
  readonly timeoutMs?: number;
  readonly progressOut?: ConstructorParameters<typeof ProgressBar>[0];
}

export const ROTATE_MASTER_KEY_USAGE = 'usage: card-cli pii rotate-master-key [--url URL] [--token TOKEN]';
const PATH = '/v1/admin/pii/master-key-rotations';
const LISTED_FAILURES = 10;

/** `card-cli pii <subcommand>`, from parsed arguments. */
export async function piiCommand(
  positional: readonly string[],
  options: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; message: string }> {
  const unknown = Object.keys(options).filter((o) => o !== 'url' && o !== 'token');
  if (positional.length !== 1 || positional[0] !== 'rotate-master-key' || unknown.length > 0) {
    return { exitCode: 2, message: `${unknown.length > 0 ? `Unknown option --${unknown[0]}.\n` : ''}${ROTATE_MASTER_KEY_USAGE}` };
  }
  return rotateMasterKey({ token: serviceTokenSource(options.token, env), ...(options.url && { url: options.url }) });
}

/**
 * `card-cli pii rotate-master-key`: asks the running card-api to rewrap every data key still under an older key
 * of PII_MASTER_KEY, follows it with a progress bar (keys rewrapped of the total, keys/s) and prints what the
 * service says to do next. If a rotation is already running in that instance, follows that one.
 * Exit codes: 0 done, 1 some keys could not be unwrapped, 2 it could not run (or stopped half-way: run it again).
 */
export async function rotateMasterKey(options: RotateMasterKeyOptions = {}): Promise<{ exitCode: number; message: string }> {
  const url = options.url ?? DEFAULT_SERVICE_URL;
  const bar = new ProgressBar(options.progressOut);
  try {
    let rotation = await startOrJoin(url, options.token);
    const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
    for (;;) {
      showProgress(bar, rotation);
      if (rotation.state !== 'running') break;
      if (Date.now() > deadline) {
        return { exitCode: 2, message: `Stopped following rotation ${rotation.rotationId} (still running in card-api): follow it with GET ${PATH}/${rotation.rotationId}` };
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      rotation = await callService<Rotation>(url, `${PATH}/${rotation.rotationId}`, {}, options.token);
    }
    const message = report(rotation, bar.seconds);
    bar.done(`rotation ${rotation.rotationId}: ${rotation.state}`);
    if (rotation.state === 'failed') return { exitCode: 2, message };
    return { exitCode: rotation.failed > 0 ? 1 : 0, message };
  } catch (error) {
    if (error instanceof ServiceUnreachableError || error instanceof ServiceError || error instanceof NoTokenError) {
      return { exitCode: 2, message: error.message };
    }
    return { exitCode: 2, message: `The rotation could not be followed: ${(error as Error).message}` };
  }
}

/** Starts a rotation; when one already runs in that instance (409), follows that one instead. */
async function startOrJoin(url: string, token: TokenSource | undefined): Promise<Rotation> {
  try {
    return await callService<Rotation>(url, PATH, { method: 'POST' }, token);
  } catch (error) {
    const running = error instanceof ServiceError && error.status === 409 ? (error.problem as { rotationId?: unknown } | null)?.rotationId : undefined;
    if (typeof running !== 'string') throw error;
    return callService<Rotation>(url, `${PATH}/${running}`, {}, token);
  }
}

function showProgress(bar: ProgressBar, rotation: Rotation): void {
  const processed = rotation.rewrapped + rotation.skipped + rotation.failed;
  const note = `rewrapped ${rotation.rewrapped}${rotation.skipped > 0 ? `, skipped ${rotation.skipped}` : ''}${rotation.failed > 0 ? `, failed ${rotation.failed}` : ''}`;
  bar.update(processed, rotation.total, 'keys', note);
}

function report(rotation: Rotation, seconds: number): string {
  const rate = Math.round(rotation.rewrapped / Math.max(seconds, 0.001));
  const lines = [
    `Master key rotation ${rotation.rotationId} ${rotation.state}: ${rotation.rewrapped} of ${rotation.total} data keys rewrapped ` +
      `under '${rotation.toMasterKeyId}', ${rotation.skipped} skipped, ${rotation.failed} failed` +
      `${rotation.remaining === null ? '' : `, ${rotation.remaining} left under older keys`}, in ${seconds.toFixed(1)} s (${rate} keys/s).`,
    rotation.message,
  ];
  for (const failure of rotation.failures.slice(0, LISTED_FAILURES)) {
    lines.push(`  failed: subject ${failure.subjectId} (under '${failure.masterKeyId}'): ${failure.error}`);
  }
  if (rotation.failed > LISTED_FAILURES) lines.push(`  … and ${rotation.failed - LISTED_FAILURES} more (GET ${PATH}/${rotation.rotationId} lists the first 100)`);
  return lines.join('\n');
}
