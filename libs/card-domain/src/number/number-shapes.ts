/** Shapes of a number's tail: the patterns "lucky" numbers are known by, shared by the tier rules and search. */
export const TAIL_SHAPES = ['AAAA', 'AAA', 'AABB', 'ABAB', 'ABCD', 'DCBA'] as const;
export type TailShape = (typeof TAIL_SHAPES)[number];

function digitsOf(tail: string): number[] {
  return [...tail].map(Number);
}

/** Whether the number's last digits have this shape (A, B… stand for different digits). */
export function hasTailShape(msisdn: string, shape: TailShape): boolean {
  switch (shape) {
    case 'AAAA': {
      const [a, b, c, d] = digitsOf(msisdn.slice(-4));
      return a === b && b === c && c === d;
    }
    case 'AAA': {
      const [a, b, c] = digitsOf(msisdn.slice(-3));
      return a === b && b === c;
    }
    case 'AABB': {
      const [a, b, c, d] = digitsOf(msisdn.slice(-4));
      return a === b && c === d && a !== c;
    }
    case 'ABAB': {
      const [a, b, c, d] = digitsOf(msisdn.slice(-4));
      return a === c && b === d && a !== b;
    }
    case 'ABCD': {
      const [a, b, c, d] = digitsOf(msisdn.slice(-4));
      return b === a + 1 && c === b + 1 && d === c + 1;
    }
    case 'DCBA': {
      const [a, b, c, d] = digitsOf(msisdn.slice(-4));
      return b === a - 1 && c === b - 1 && d === c - 1;
    }
  }
}

/** How often `digit` occurs in the number's last `within` digits. */
export function tailDigitCount(msisdn: string, digit: string, within: number): number {
  return [...msisdn.slice(-within)].filter((d) => d === digit).length;
}
