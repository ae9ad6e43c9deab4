import { devCvv } from './dev-cvv';
import { exportCommand } from './export-audit';
import { importCommand } from './import-history';
import { importNumbersCommand } from './import-numbers';
import { rebuildProjections } from './projections';
import { replayCommand, verifyOne } from './replay';
import { piiCommand } from './rotate-master-key';
import { serviceTokenSource } from './service-token';
import { tokenCommand } from './token';
import { VERIFY_ALL_USAGE, verifyAllCommand } from './verify-all';

const HELP = `card-cli: operator and auditor tools for the card lifecycle service

Commands:
  token --role ROLE [--role ROLE ...] --sub SUBJECT [--ttl 8h]
                                 print a token card-api accepts (HS256, signed with AUTH_JWT_SECRET or the
                                 development secret in DATA_DIR; default lifetime 1h). Roles: issuer, agent,
                                 analyst, auditor, admin. Not available when card-api verifies an identity
                                 provider's tokens (AUTH_JWT_PUBLIC_KEY)
  projections rebuild [name] [--url URL] [--token TOKEN]
                                 rebuild one projection (or all, one after another) from position zero in the
                                 running card-api, with a progress bar; the other projections stay live
  import FILE [--url URL] [--chunk LINES] [--token TOKEN]
                                 import card histories from another system (JSON Lines, one command per line;
                                 README: Importing history) into the running card-api, LINES (500) per request,
                                 with a progress bar; prints the lines that failed. Exit 0 all imported, 1 some
                                 lines failed, 2 could not run. Safe to repeat: imported lines are skipped
  numbers import FILE [--format csv|jsonl] [--url URL] [--chunk LINES] [--token TOKEN]
                                 import SIM phone numbers (CSV msisdn,region[,tier] or JSON Lines; docs/numbers.md)
                                 into the running card-api's inventory, LINES (5000) per request, with a progress
                                 bar; prints the refused lines. Exit 0 all imported, 1 some refused, 2 could not
                                 run. Safe to repeat: numbers already in the inventory are not added again
  pii rotate-master-key [--url URL] [--token TOKEN]
                                 rewrap every customer data key still under an older key of PII_MASTER_KEY
                                 with the current one, in the running card-api, with a progress bar; prints
                                 what is left to do. Exit 0 done, 1 some keys could not be unwrapped, 2 could
                                 not run. Safe to repeat (libs/security/src/pii/README.md: Rotating the master key)
  replay <cardId> | --customer <customerId> [--as-of ISO-8601 | --revision N] [--json] [--url URL] [--token TOKEN]
                                 an auditor's replay: the card's (or customer's) state at that revision or as the
                                 service knew it at that instant, with the events that made it (customers masked)
  verify --card <cardId> | --customer <customerId> [--json] [--url URL] [--token TOKEN]
                                 verify one card's (or customer's) hash chain and the head its latest signed
                                 checkpoint holds. Exit 0 clean, 1 a problem (stream and revision named), 2 could
                                 not run
  verify --all [--url URL] [--token TOKEN]
                                 verify the whole event store in the running card-api: every stream's hash chain,
                                 every signed checkpoint and the heads it signed, with a progress bar; prints each
                                 problem (stream, revision, code). Exit 0 clean, 1 problems found, 2 could not run
  export [--from TIME] [--to TIME] [--from-position P] [--to-position P] [--format jsonl|csv] [--url URL] [--token TOKEN] > FILE
                                 stream an audit export (events with their hashes, the signed checkpoints covering
                                 them; docs/audit.md) from the running card-api to standard output, with progress
                                 on a terminal; verify it with docs/verify_audit_export.py. Exit 0 complete, 2 not
  dev-cvv <cardNumber> <MM/YY>   print the CVV2 of a test card under the development CVK in DATA_DIR
  help                           this text

URL defaults to CARD_API_URL, else http://localhost:$PORT (3000).
TOKEN defaults to CARD_API_TOKEN; without one, card-cli signs a short-lived token itself with AUTH_JWT_SECRET or
the development secret in DATA_DIR (default ./data), in the role the command needs: admin for operations
(import, numbers import, projections rebuild, pii rotate-master-key), auditor for the audit commands (replay, verify, export).
Run it with: npm run cli -- <command> [arguments]`;

/**
 * `--name value` options and positional arguments. `options` keeps the last value of each option, `lists` all
 * of them in order (for options that may be repeated, like --role).
 */
export function parseArgs(args: readonly string[]): { positional: string[]; options: Record<string, string>; lists: Record<string, string[]> } {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      // A flag without a value (--json) is followed by another option or nothing: it does not swallow that.
      const next = args[i + 1];
      const value = inline ?? (next !== undefined && !next.startsWith('--') ? args[++i] : '');
      options[key] = value;
      (lists[key] ??= []).push(value);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options, lists };
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { positional, options, lists } = parseArgs(rest);
  const print = (exitCode: number, output: string): number => {
    (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
    return exitCode;
  };
  switch (command) {
    case 'token': {
      const { exitCode, output, note } = await tokenCommand(positional, lists, process.env);
      if (note) process.stderr.write(`${note}\n`);
      return print(exitCode, output);
    }
    case 'projections': {
      if (positional[0] !== 'rebuild') return print(2, `usage: card-cli projections rebuild [name] [--url URL] [--token TOKEN]`);
      const { exitCode, message } = await rebuildProjections({
        ...(positional[1] && { name: positional[1] }),
        ...(options.url && { url: options.url }),
        token: serviceTokenSource(options.token, process.env),
      });
      return print(exitCode, message);
    }
    case 'import': {
      const { exitCode, message } = await importCommand(positional, options);
      (exitCode === 2 ? process.stderr : process.stdout).write(`${message}\n`);
      return exitCode;
    }
    case 'numbers': {
      const { exitCode, message } = await importNumbersCommand(positional, options);
      (exitCode === 2 ? process.stderr : process.stdout).write(`${message}\n`);
      return exitCode;
    }
    case 'pii': {
      const { exitCode, message } = await piiCommand(positional, options);
      (exitCode === 2 ? process.stderr : process.stdout).write(`${message}\n`);
      return exitCode;
    }
    case 'replay': {
      const { exitCode, output } = await replayCommand(positional, options, process.env);
      return print(exitCode, output);
    }
    case 'verify': {
      // One router for the ways to verify: --all (the whole store, a job in card-api); other scopes join here.
      if (options.all !== undefined) {
        const { exitCode, message } = await verifyAllCommand(positional, options, process.env);
        (exitCode === 2 ? process.stderr : process.stdout).write(`${message}\n`);
        return exitCode;
      }
      const one = options.card ? { kind: 'card' as const, id: options.card } : options.customer ? { kind: 'customer' as const, id: options.customer } : null;
      if (one !== null) {
        const { exitCode, output } = await verifyOne({
          ...one,
          json: options.json !== undefined,
          ...(options.url && { url: options.url }),
          token: serviceTokenSource(options.token, process.env, 'auditor'),
        });
        (exitCode === 2 ? process.stderr : process.stdout).write(`${output}\n`);
        return exitCode;
      }
      return print(2, `${VERIFY_ALL_USAGE}\nusage: card-cli verify --card <cardId> | --customer <customerId> [--json] [--url URL] [--token TOKEN]`);
    }
    case 'export': {
      // stdout carries the export: whatever card-cli has to say goes to stderr.
      const { exitCode, message } = await exportCommand(positional, options, process.stdout, process.env);
      process.stderr.write(`${message}\n`);
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
