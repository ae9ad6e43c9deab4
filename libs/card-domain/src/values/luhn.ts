/**
 * The Luhn (mod 10) check used by card numbers and ICCIDs: from the rightmost digit, double every second
 * digit (subtracting 9 when that exceeds 9); the total must be a multiple of 10.
 */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  for (let fromRight = 0; fromRight < digits.length; fromRight++) {
    let digit = digits.charCodeAt(digits.length - 1 - fromRight) - 48;
    if (fromRight % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
