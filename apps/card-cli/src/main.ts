import { devCvv } from './dev-cvv';
import { importCommand } from './import-history';
import { rebuildProjections } from './projections';

const HELP = `card-cli: operator and auditor tools for the card lifecycle service

Commands:
  projections rebuild [name] [--url URL]
                                 rebuild one projection (or all, one after another) from position zero in the
                                 running card-api, with a progress bar; the other projections stay live
  import FILE [--url URL] [--chunk LINES]
                                 import card histories from another system (JSON Lines, one command per line;
                                 README: Importing history) into the running card-api, LINES (500) per request,
                                 with a progress bar; prints the lines that failed. Exit 0 all imported, 1 some
                                 lines failed, 2 could not run. Safe to repeat: imported lines are skipped
  dev-cvv <cardNumber> <MM/YY>   print the CVV2 of a test card under the development CVK in DATA_DIR
  help                           this text

URL defaults to CARD_API_URL, else http://localhost:$PORT (3000).
Run it with: npm run cli -- <command> [arguments]`;

/** `--name value` options and positional arguments. */
export function parseArgs(args: readonly string[]): { positional: string[]; options: Record<string, string> } {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      options[key] = inline ?? args[++i] ?? '';
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { positional, options } = parseArgs(rest);
  const print = (exitCode: number, output: string): number => {
    (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
    return exitCode;
  };
  switch (command) {
    case 'projections': {
      if (positional[0] !== 'rebuild') return print(2, `usage: card-cli projections rebuild [name] [--url URL]`);
      const { exitCode, message } = await rebuildProjections({
        ...(positional[1] && { name: positional[1] }),
        ...(options.url && { url: options.url }),
      });
      return print(exitCode, message);
    }
    case 'import': {
      const { exitCode, message } = await importCommand(positional, options);
      (exitCode === 2 ? process.stderr : process.stdout).write(`${message}\n`);
      return exitCode;
    }
    case 'dev-cvv': {
      const { output, exitCode } = devCvv(rest, process.env);
      return print(exitCode, output);
    }
    case undefined:
    case 'help':
    case '--help':
      return print(0, HELP);
    default:
      return print(2, `Unknown command "${command}".\n\n${HELP}`);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
