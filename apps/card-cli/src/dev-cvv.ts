import * as path from 'node:path';
import { validateCardNumber } from '@cards/domain';
import { resolveSecretKeys, VisaCvvCardVerification } from '@cards/security';

/**
 * `card-cli dev-cvv <cardNumber> <MM/YY>`: the CVV2 a card would carry under this DATA_DIR's development CVK,
 * so a newcomer can try an activation. Refused in production: there the CVK lives in an HSM.
 */
export function devCvv(args: readonly string[], env: NodeJS.ProcessEnv): { output: string; exitCode: number } {
  if (env.NODE_ENV === 'production') {
    return { output: 'dev-cvv is a development aid and is disabled when NODE_ENV=production.', exitCode: 2 };
  }
  const [cardNumber, expiry] = args;
  const usage = 'usage: card-cli dev-cvv <cardNumber> <MM/YY>   (uses DATA_DIR, default ./data, or CARD_CVK)';
  if (!cardNumber || !expiry) return { output: usage, exitCode: 2 };
  const number = validateCardNumber(cardNumber, 'DEBIT');
  if (!number.ok) return { output: `cardNumber ${number.reason}`, exitCode: 2 };
  const match = /^(0[1-9]|1[0-2])\/(\d{2})$/.exec(expiry);
  if (!match) return { output: 'expiry must be MM/YY, e.g. 12/29', exitCode: 2 };

  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const { keys } = resolveSecretKeys({ env, dataDir, production: false });
  const cvv = new VisaCvvCardVerification(keys.cardCvk).computeCvv2(number.digits, `${match[2]}${match[1]}`);
  return { output: cvv, exitCode: 0 };
}
