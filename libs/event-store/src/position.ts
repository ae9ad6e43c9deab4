import type { Position } from './event-store.port';

/** Orders two log positions: negative when a is before b, 0 when equal, positive when after. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function positionsEqual(a: Position, b: Position): boolean {
  return a.commit === b.commit && a.prepare === b.prepare;
}

/**
 * A position as text, for checkpoints, logs and HTTP: "42" when commit and prepare are equal (always on SQLite),
 * "commit/prepare" otherwise.
 */
export function formatPosition(position: Position): string {
  return position.commit === position.prepare
    ? position.commit.toString()
    : `${position.commit.toString()}/${position.prepare.toString()}`;
}

const POSITION_TEXT = /^(\d+)(?:\/(\d+))?$/;

/** The inverse of `formatPosition`. Throws a RangeError on anything else. */
export function parsePosition(text: string): Position {
  const match = POSITION_TEXT.exec(text.trim());
  if (!match) {
    throw new RangeError(`Not a log position: "${text}" (expected "42" or "42/40")`);
  }
  const commit = BigInt(match[1]);
  const prepare = match[2] === undefined ? commit : BigInt(match[2]);
  return { commit, prepare };
}
