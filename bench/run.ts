/**
 * `npm run bench [-- --quick] [-- --only <row-prefix> ...] [-- --profile [dir]] [-- --out <file>]`
 *
 * Prints one table (figure, the reference measured in the same run, their ratio, the target of issue 8, pass or
 * MISS) and writes bench/results.json. Progress goes to stderr. docs/performance.md says what each row measures.
 */
import * as path from 'node:path';
import { DEFAULT_RESULTS_FILE, GROUPS, runBench } from './bench';
import { ROOT } from './core/context';
import { describeMachine, renderTable, writeResults } from './core/report';
import { describeSummary, type ProfileSummary } from './core/profiler';

const USAGE = `npm run bench -- [--quick] [--only <row-prefix>]... [--profile [dir]] [--out <file>]
  --quick          small sizes (50,000 events instead of 1,000,000, short phases): a smoke run, about a minute
  --only PREFIX    only the rows whose id starts with PREFIX (repeatable): appends, reads, http, projections, audit, memory
  --profile [DIR]  also write CPU profiles of the measured steps to DIR (default bench/profiles) and print their top
                   self-time functions; the figures of a profiled run are slower than the recorded ones
  --out FILE       write the results there instead of bench/results.json
Rows: ${GROUPS.flatMap((g) => g.rowIds).join(', ')}`;

interface Args {
  quick: boolean;
  only: string[];
  profileDir: string | null;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: [], profileDir: null, out: DEFAULT_RESULTS_FILE };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') args.only.push(...next().split(','));
    else if (arg === '--profile') args.profileDir = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? path.resolve(argv[++i]) : path.join(ROOT, 'bench', 'profiles');
    else if (arg === '--out') args.out = path.resolve(next());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`Unknown argument ${arg}\n${USAGE}`);
  }
  const known = GROUPS.flatMap((g) => g.rowIds);
  for (const prefix of args.only) {
    if (!known.some((id) => id.startsWith(prefix))) throw new Error(`--only ${prefix} selects no row. Rows: ${known.join(', ')}`);
  }
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const results = await runBench({ quick: args.quick, only: args.only, profileDir: args.profileDir, progress: (line) => process.stderr.write(`${line}\n`) });
  writeResults(args.out, results);
  const out: string[] = [
    '',
    `card lifecycle service benchmark${results.quick ? ' (--quick: small sizes, not comparable with a full run)' : ''}`,
    `${describeMachine(results.machine)}; load average ${results.machine.loadAverageAtStart.join(' ')} at start, ${results.loadAverageAtEnd.join(' ')} at the end; ${results.durationSeconds} s`,
    '',
    renderTable(results.rows),
    '',
  ];
  for (const failure of results.failures) out.push(`group "${failure.group}" failed: ${failure.error.split('\n')[0]}`);
  if (results.profiles) {
    out.push('CPU profiles (top self time):');
    for (const [id, summary] of Object.entries(results.profiles)) out.push(`${id}\n${describeSummary(summary as ProfileSummary)}`);
  }
  out.push(`results: ${path.relative(process.cwd(), args.out) || args.out}`, '');
  process.stdout.write(out.join('\n'));
  process.exitCode = results.failures.length > 0 ? 1 : 0;
}

void main();
