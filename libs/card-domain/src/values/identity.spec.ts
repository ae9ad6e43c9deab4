import { idNumbersMatch } from './id-number';
import { validatePassportNumber } from './passport-number';
import { namesMatch } from './person-name';

describe('namesMatch', () => {
  it.each([
    ['张三', '张三'],
    ['张 三', '张三'],
    ['张　三', '张三'], // ideographic space
    ['Zhang San', 'ZHANG  SAN'],
    ['ＺＨＡＮＧ ＳＡＮ', 'Zhang San'], // full-width letters
    ['阿依古丽·买买提', '阿依古丽买买提'],
    ['阿依古丽・买买提', '阿依古丽 · 买买提'],
    ['阿依古丽•买买提', '阿依古丽‧买买提'],
    ['阿依古丽･买买提', '阿依古丽买买提'],
  ])('%p matches %p', (presented, registered) => {
    expect(namesMatch(presented, registered)).toBe(true);
  });

  it.each([
    ['张三', '张四'],
    ['Zhang San', 'Zhang Shan'],
    ['', ''],
    ['  ', '·'],
  ])('%p does not match %p', (presented, registered) => {
    expect(namesMatch(presented, registered)).toBe(false);
  });
});

describe('idNumbersMatch', () => {
  it('ignores the case of the final X and spaces', () => {
    expect(idNumbersMatch('11010519491231002x', '11010519491231002X')).toBe(true);
    expect(idNumbersMatch('110105 19491231 002X', '11010519491231002X')).toBe(true);
  });

  it('does not match different or empty numbers', () => {
    expect(idNumbersMatch('110105194912310021', '11010519491231002X')).toBe(false);
    expect(idNumbersMatch('', '')).toBe(false);
  });
});

describe('validatePassportNumber', () => {
  it('upper-cases and removes spaces', () => {
    expect(validatePassportNumber('e 1234 5678')).toEqual({ ok: true, value: 'E12345678' });
  });

  it.each(['E123', 'E1234-5678', 'Ä12345678', 'A'.repeat(21)])('rejects %p', (raw) => {
    expect(validatePassportNumber(raw)).toEqual({ ok: false, reason: 'must be 5 to 20 letters or digits' });
  });
});
