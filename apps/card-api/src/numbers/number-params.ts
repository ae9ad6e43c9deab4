import { Injectable, type PipeTransform } from '@nestjs/common';
import { isMsisdn, MSISDN_RULE } from '@cards/domain';
import { InvalidRequestError } from '@cards/platform';

/** The `{msisdn}` path parameter: a malformed number is the client's mistake (400), not an unknown one. */
@Injectable()
export class MsisdnParam implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isMsisdn(value)) throw new InvalidRequestError([{ field: 'msisdn', reason: MSISDN_RULE }]);
    return value;
  }
}

const DURATION = /^P(?:(\d{1,5})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

/** An ISO-8601 duration of days, hours, minutes and seconds (PT30M, PT1H30M, P1D) in seconds; null if it is not one. */
export function durationSeconds(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return ((d * 24 + h) * 60 + m) * 60 + s;
}
