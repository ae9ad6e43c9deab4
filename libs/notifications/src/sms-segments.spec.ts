import { smsSegments } from './sms-segments';

describe('smsSegments: what a text costs as SMS', () => {
  it('given plain GSM text, counts one septet a character, 160 in one message', () => {
    expect(smsSegments('Your card is active.')).toEqual({ encoding: 'GSM-7', characters: 20, segments: 1 });
    expect(smsSegments('@£$¥èé Ç Ø Å Δ_ΦΓ ÆæßÉ ¡ ÄÖÑÜ§¿ äöñüà')).toMatchObject({ encoding: 'GSM-7' });
  });

  it('given extension characters (^ { } \\ [ ~ ] | €), counts each as two', () => {
    expect(smsSegments('€5 [ok]')).toEqual({ encoding: 'GSM-7', characters: 10, segments: 1 });
    expect(smsSegments('^{}\\[~]|€')).toEqual({ encoding: 'GSM-7', characters: 18, segments: 1 });
  });

  it('at the GSM boundary: 160 is one message, 161 is two parts of 153, 306 two, 307 three', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', characters: 161, segments: 2 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('given 159 plain characters and one extension character, it no longer fits one message', () => {
    expect(smsSegments(`${'a'.repeat(158)}€`)).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSegments(`${'a'.repeat(159)}€`)).toEqual({ encoding: 'GSM-7', characters: 161, segments: 2 });
  });

  it('given Chinese, goes UCS-2: 70 in one message, 71 is two parts of 67, 134 two, 135 three', () => {
    expect(smsSegments('您的卡已激活')).toEqual({ encoding: 'UCS-2', characters: 6, segments: 1 });
    expect(smsSegments('卡'.repeat(70))).toEqual({ encoding: 'UCS-2', characters: 70, segments: 1 });
    expect(smsSegments('卡'.repeat(71))).toEqual({ encoding: 'UCS-2', characters: 71, segments: 2 });
    expect(smsSegments('卡'.repeat(134)).segments).toBe(2);
    expect(smsSegments('卡'.repeat(135)).segments).toBe(3);
  });

  it('given mixed text, one character outside GSM makes the whole text UCS-2, extension characters counting one', () => {
    expect(smsSegments(`${'a'.repeat(69)}卡`)).toEqual({ encoding: 'UCS-2', characters: 70, segments: 1 });
    expect(smsSegments(`${'a'.repeat(70)}卡`)).toEqual({ encoding: 'UCS-2', characters: 71, segments: 2 });
    expect(smsSegments('€卡')).toEqual({ encoding: 'UCS-2', characters: 2, segments: 1 });
    expect(smsSegments('Hi，')).toMatchObject({ encoding: 'UCS-2' }); // a full-width comma is not GSM
  });

  it('counts UTF-16 code units in UCS-2: an emoji takes two', () => {
    expect(smsSegments('ok 👍')).toEqual({ encoding: 'UCS-2', characters: 5, segments: 1 });
  });

  it('given an empty text, nothing to send', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', characters: 0, segments: 0 });
  });
});
