import { Injectable, Inject } from '@nestjs/common';
import { isMsisdn, isRegion, MSISDN_RULE, NUMBER_TIERS, REGION_RULE, tierOf, type NumberTier } from '@cards/domain';
import { formatPosition, type Position } from '@cards/event-store';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { NumberInventory, type ImportedNumber } from './number-inventory';
import { NUMBER_SETTINGS, type NumberSettings } from './number-settings';

export const NUMBER_FILE_FORMATS = ['csv', 'jsonl'] as const;
export type NumberFileFormat = (typeof NUMBER_FILE_FORMATS)[number];

export interface FailedNumberLine {
  readonly line: number;
  readonly code: 'INVALID_LINE' | 'INVALID_MSISDN' | 'INVALID_REGION' | 'INVALID_TIER' | 'DUPLICATE_NUMBER';
  readonly reason: string;
}

export interface NumberImportReport {
  readonly importId: string;
  /** Lines read, blank lines and a CSV header excepted. */
  readonly lines: number;
  readonly imported: number;
  /** Numbers that were in the inventory already (an import run again): nothing written for them. */
  readonly alreadyInInventory: number;
  readonly failed: readonly FailedNumberLine[];
  readonly position: string | null;
}

type ParsedLine = { ok: true; number: ImportedNumber } | { ok: false; failure: Omit<FailedNumberLine, 'line'> } | { ok: 'skip' };

function fieldsOf(text: string, format: NumberFileFormat): { msisdn: unknown; region: unknown; tier: unknown } | { error: string } | 'header' {
  if (format === 'jsonl') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { error: 'is not JSON: one object per line, e.g. {"msisdn":"13800138000","region":"010"}' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'must be a JSON object' };
    const { msisdn, region, tier, ...rest } = value as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) return { error: `has unknown field ${unknown[0]} (allowed: msisdn, region, tier)` };
    return { msisdn, region, tier };
  }
  const cells = text.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
  if (cells[0].toLowerCase() === 'msisdn') return 'header';
  if (cells.length < 2 || cells.length > 3) return { error: 'must have 2 or 3 columns: msisdn,region[,tier]' };
  return { msisdn: cells[0], region: cells[1], tier: cells[2] === '' ? undefined : cells[2] };
}

/** One line of a numbers file: the number with its tier (from the file, else the rules), or why it is refused. */
export function parseNumberLine(text: string, format: NumberFileFormat, settings: Pick<NumberSettings, 'tierRules'>): ParsedLine {
  if (text.trim() === '') return { ok: 'skip' };
  const fields = fieldsOf(text.trim(), format);
  if (fields === 'header') return { ok: 'skip' };
  if ('error' in fields) return { ok: false, failure: { code: 'INVALID_LINE', reason: fields.error } };
  if (!isMsisdn(fields.msisdn)) return { ok: false, failure: { code: 'INVALID_MSISDN', reason: `msisdn ${MSISDN_RULE}` } };
  if (!isRegion(fields.region)) return { ok: false, failure: { code: 'INVALID_REGION', reason: `region ${REGION_RULE}` } };
  if (fields.tier !== undefined && fields.tier !== null && !(NUMBER_TIERS as readonly unknown[]).includes(fields.tier)) {
    return { ok: false, failure: { code: 'INVALID_TIER', reason: `tier must be one of ${NUMBER_TIERS.join(', ')}, or left out for the rules to decide` } };
  }
  const given = fields.tier as NumberTier | undefined | null;
  return {
    ok: true,
    number: {
      msisdn: fields.msisdn,
      region: fields.region,
      tier: given ?? tierOf(fields.msisdn, settings.tierRules),
      tierSource: given ? 'FILE' : 'RULES',
    },
  };
}

/**
 * Imports numbers into the inventory (card-cli numbers import, POST /v1/numbers/imports): malformed lines and
 * repeats within the lines are reported by line number and skipped; numbers already in inventory are counted and
 * not written again, so the same file imported twice adds nothing.
 */
@Injectable()
export class NumberImports {
  constructor(
    private readonly inventory: NumberInventory,
    @Inject(NUMBER_SETTINGS) private readonly settings: NumberSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(lines: readonly string[], options: { format: NumberFileFormat; firstLineNumber: number; importId: string; ctx: CommandContext }): Promise<NumberImportReport> {
    const failed: FailedNumberLine[] = [];
    const seen = new Map<string, number>();
    const valid: ImportedNumber[] = [];
    let read = 0;
    lines.forEach((text, index) => {
      const line = options.firstLineNumber + index;
      const parsed = parseNumberLine(text, options.format, this.settings);
      if (parsed.ok === 'skip') return;
      read++;
      if (parsed.ok === false) {
        failed.push({ line, ...parsed.failure });
        return;
      }
      const first = seen.get(parsed.number.msisdn);
      if (first !== undefined) {
        failed.push({ line, code: 'DUPLICATE_NUMBER', reason: `repeats the number of line ${first}` });
        return;
      }
      seen.set(parsed.number.msisdn, line);
      valid.push(parsed.number);
    });
    const now = this.clock.now().toISOString();
    const { added, alreadyThere, position } = await this.inventory.add(valid, options.ctx, options.importId, now);
    return {
      importId: options.importId,
      lines: read,
      imported: added,
      alreadyInInventory: alreadyThere.length,
      failed,
      position: position === null ? null : formatPosition(position as Position),
    };
  }
}
