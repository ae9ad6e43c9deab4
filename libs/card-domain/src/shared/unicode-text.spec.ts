import { loneSurrogatePath } from './unicode-text';

describe('loneSurrogatePath', () => {
  it('finds nothing in ordinary text, pairs included (emoji, CJK Extension B)', () => {
    expect(loneSurrogatePath({ name: '张三 😀 𠀀', tags: ['a', 'b'], n: 1, x: null })).toBeNull();
  });

  it('names the field of a lone high or low surrogate, nested or in an array', () => {
    expect(loneSurrogatePath({ name: 'a\ud800' })).toBe('name');
    expect(loneSurrogatePath({ address: { city: '\udc00b' } })).toBe('address.city');
    expect(loneSurrogatePath({ list: ['ok', 'x\ud83d'] })).toBe('list[1]');
    expect(loneSurrogatePath('\udfff')).toBe('');
  });

  it('catches a lone surrogate in a key', () => {
    expect(loneSurrogatePath({ ['k\ud800']: 1 })).toBe('body');
    expect(loneSurrogatePath({ a: { ['\udc00']: 1 } })).toBe('a');
  });
});
