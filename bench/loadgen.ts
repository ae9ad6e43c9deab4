/**
 * The load generator, in its own process: `node loadgen.js <plan.json>` runs autocannon with the plan and prints
 * one JSON object (LoadResult) on stdout. Run by bench/service/load.ts, from the benchmark's private build.
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';

export interface PlannedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** JSON text. */
  readonly body?: string;
}

export interface LoadPlan {
  readonly url: string;
  readonly connections: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly requests: readonly PlannedRequest[];
  /** `amount`: exactly that many requests, taking `requests` in order; `durationSeconds`: cycle through them for that long. */
  readonly mode: { readonly amount: number } | { readonly durationSeconds: number };
  /** A member of the JSON answers to hand back, per request (the id a created resource got). */
  readonly collect?: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationMs: number;
  /** Each response's latency, in ms, in the order they arrived. */
  readonly latenciesMs: number[];
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  /** `collect`'s value for request i (null when its answer had none). */
  readonly collected?: (string | null)[];
  /** The first few answers that were not 2xx, to say why. */
  readonly failures: { status: number; path: string; body: string }[];
}

function run(plan: LoadPlan): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const failures: LoadResult['failures'] = [];
  const collected: (string | null)[] | undefined = plan.collect ? new Array<string | null>(plan.requests.length).fill(null) : undefined;
  let next = 0;
  const started = process.hrtime.bigint();
  // The run ends with its last answer. autocannon calls back only at its next one-second sample after that, so its
  // end would round every run up to whole seconds plus a little (2,000 requests answered in 4.1 s counted as 5.04).
  let lastAnswer = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: plan.url,
        // autocannon refuses more connections than requests (a small warm-up).
        connections: 'amount' in plan.mode ? Math.min(plan.connections, plan.mode.amount) : plan.connections,
        pipelining: 1,
        timeout: 60,
        headers: { ...plan.headers },
        ...('amount' in plan.mode ? { amount: plan.mode.amount } : { duration: plan.mode.durationSeconds }),
        requests: [
          {
            setupRequest: (request, context) => {
              const index = next++ % plan.requests.length;
              const planned = plan.requests[index];
              context.index = index;
              return {
                ...request,
                method: planned.method,
                path: planned.path,
                headers: planned.body === undefined ? { ...request.headers } : { ...request.headers, 'content-type': 'application/json' },
                body: planned.body ?? '',
              };
            },
            onResponse: (status, body, context) => {
              const index = context.index as number;
              if (status < 200 || status >= 300) {
                if (failures.length < 5) failures.push({ status, path: plan.requests[index]?.path ?? '?', body: body.slice(0, 500) });
                return;
              }
              if (collected && plan.collect) {
                try {
                  const value = (JSON.parse(body) as Record<string, unknown>)[plan.collect];
                  collected[index] = typeof value === 'string' ? value : null;
                } catch {
                  collected[index] = null;
                }
              }
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: latenciesMs.length,
          durationMs: Number(lastAnswer - started) / 1e6,
          latenciesMs,
          statusCounts,
          errors: result.errors,
          timeouts: result.timeouts,
          ...(collected && { collected }),
          failures,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
      lastAnswer = process.hrtime.bigint();
      latenciesMs.push(responseTimeMs);
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    });
  });
}

if (require.main === module) {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as LoadPlan;
  run(plan).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error: Error) => {
      process.stderr.write(`loadgen: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
