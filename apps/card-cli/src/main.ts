import { devCvv } from './dev-cvv';

const HELP = `card-cli: operator and auditor tools for the card lifecycle service

Commands:
  dev-cvv <cardNumber> <MM/YY>   print the CVV2 of a test card under the development CVK in DATA_DIR
  help                           this text

Run it with: npm run cli -- <command> [arguments]`;

function main(argv: readonly string[]): number {
  const [command, ...args] = argv;
  switch (command) {
    case 'dev-cvv': {
      const { output, exitCode } = devCvv(args, process.env);
      (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
      return exitCode;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${HELP}\n`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
