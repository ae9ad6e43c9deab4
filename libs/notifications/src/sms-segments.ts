/**
 * How many SMS a text costs. GSM 03.38 (7-bit default alphabet): 160 characters in a single message, 153 per part
 * once it has to be split (the rest carries the concatenation header); a character of the extension table
 * (^ { } \ [ ~ ] | € and form feed) takes two. A text with any character outside both tables goes as UCS-2:
 * 70 in a single message, 67 per part, counted in UTF-16 code units (a character outside the BMP, such as most
 * emoji, takes two). Simplification: the count does not move a two-unit character that would straddle parts
 * into the next one, so a long text near a boundary may in reality need one part more.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  readonly encoding: SmsEncoding;
  /** Septets (GSM-7, extension characters counting 2) or UTF-16 code units (UCS-2). */
  readonly characters: number;
  /** Messages the text is sent as; 0 for an empty text. */
  readonly segments: number;
}

export const SMS_LIMITS = {
  'GSM-7': { single: 160, concatenated: 153 },
  'UCS-2': { single: 70, concatenated: 67 },
} as const;

const GSM_BASIC = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);
const GSM_EXTENSION = new Set(Array.from('^{}\\[~]|€\f'));

/** Septets the text takes in the GSM 03.38 default alphabet, or null if a character is in neither table. */
function gsmSeptets(text: string): number | null {
  let septets = 0;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENSION.has(ch)) septets += 2;
    else return null;
  }
  return septets;
}

export function smsSegments(text: string): SmsSegments {
  const septets = gsmSeptets(text);
  const encoding: SmsEncoding = septets === null ? 'UCS-2' : 'GSM-7';
  const characters = septets ?? text.length;
  const limits = SMS_LIMITS[encoding];
  const segments = characters === 0 ? 0 : characters <= limits.single ? 1 : Math.ceil(characters / limits.concatenated);
  return { encoding, characters, segments };
}
