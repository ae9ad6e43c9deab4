import type { CardStatus } from '@cards/domain';
import { parseIsoDuration } from '../reports/iso-duration';

/** The stages a card can wait in, and how long it may wait there before it counts as stuck. */
export const WAITING_STAGES = ['ISSUED', 'IDENTITY_VERIFIED', 'LINKED', 'SUSPENDED', 'DISPUTED'] as const satisfies readonly CardStatus[];
export type WaitingStage = (typeof WAITING_STAGES)[number];

export type StuckCardSlas = Readonly<Record<WaitingStage, string>>;

export const DEFAULT_STUCK_CARD_SLAS: StuckCardSlas = {
  ISSUED: 'P7D',
  IDENTITY_VERIFIED: 'P2D',
  LINKED: 'P3D',
  SUSPENDED: 'P30D',
  DISPUTED: 'P14D',
};

export const STUCK_CARD_SLAS = Symbol('STUCK_CARD_SLAS');

/**
 * `STUCK_CARD_SLAS="LINKED=P2D,ISSUED=P10D"`: overrides some stages' defaults. Returns the full table, or the
 * problems found (unknown stage, bad ISO-8601 duration).
 */
export function parseStuckCardSlas(text: string | undefined): { slas: StuckCardSlas; problems: string[] } {
  const slas: Record<WaitingStage, string> = { ...DEFAULT_STUCK_CARD_SLAS };
  const problems: string[] = [];
  for (const entry of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [stage, duration] = entry.split('=').map((s) => s.trim());
    if (!(WAITING_STAGES as readonly string[]).includes(stage)) {
      problems.push(`STUCK_CARD_SLAS: "${stage}" is not a stage a card waits in (${WAITING_STAGES.join(', ')})`);
      continue;
    }
    try {
      parseIsoDuration(duration, stage);
      slas[stage as WaitingStage] = duration;
    } catch (error) {
      problems.push(`STUCK_CARD_SLAS: ${stage}=${duration ?? ''} is not an ISO-8601 duration such as P2D (${(error as Error).message})`);
    }
  }
  return { slas, problems };
}
