import { maskBirthDate, maskEmail, maskIdNumber, maskName, maskPhone } from './masking';

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['欧阳娜娜', '欧***'],
    ['Zhang San', 'Z*** S**'],
    ['  Zhang   San ', 'Z*** S**'],
    ['Li', 'L*'],
    ['Jean-Luc Picard', 'J***-L** P***'],
    ["O'Brien", "O'B***"],
    ['阿卜杜·热合曼', '阿**·热**'],
    ['爱新觉罗溥仪', '爱***'],
    ['𠮷野家', '𠮷**'],
    ['Ｚｈａｎｇ', 'Z***'],
  ])('%s → %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('never shows a one-character name, and gives empty for nothing', () => {
    expect(maskName('张')).toBe('*');
    expect(maskName(' Z ')).toBe('*');
    expect(maskName('')).toBe('');
    expect(maskName('   ')).toBe('');
    expect(maskName('-')).toBe('*');
  });

  it('is total: anything that is not a string gives empty', () => {
    for (const value of [undefined, null, 42, {}, [], Symbol('x')]) expect(maskName(value)).toBe('');
  });

  it('keeps at most the first character of each part', () => {
    const masked = maskName('Maximiliano Alejandro de la Santísima Trinidad');
    expect(masked).toBe('M*** A*** d* l* S*** T***');
    expect(masked.replace(/[* ]/g, '')).toBe('MAdlST');
  });
});

describe('maskIdNumber', () => {
  it.each([
    ['11010519491231002X', '110105********002X'],
    ['11010519491231002x', '110105********002X'],
    ['110105 19491231 002X', '110105********002X'],
    ['１１０１０５１９４９１２３１００２Ｘ', '110105********002X'],
    ['E12345678', 'E1*****78'],
    ['G1234567', 'G1****67'],
    ['110105491231002', '11***********02'],
    ['AB123', '*****'],
    ['A', '*'],
    ['', ''],
  ])('%s → %s', (id, masked) => {
    expect(maskIdNumber(id)).toBe(masked);
  });

  it('is total and caps the stars of long garbage', () => {
    expect(maskIdNumber(undefined)).toBe('');
    expect(maskIdNumber(12345)).toBe('');
    expect(maskIdNumber('X'.repeat(500))).toBe(`XX${'*'.repeat(16)}XX`);
  });
});

describe('maskPhone', () => {
  it.each([
    ['+8613800135678', '138****5678'],
    ['13800135678', '138****5678'],
    ['+86 138 0013 5678', '138****5678'],
    ['0086-138-0013-5678', '138****5678'],
    ['8613800135678', '138****5678'],
    ['１３８００１３５６７８', '138****5678'],
    ['+447700900123', '+44****0123'],
    ['+1 (415) 555-0123', '+1****0123'],
    ['+85291234567', '+852****4567'],
    ['+861012345678', '+86****5678'],
    ['+35312345', '+353****'],
  ])('%s → %s', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  it('masks what is not a phone number entirely, and is total', () => {
    expect(maskPhone('12345')).toBe('****');
    expect(maskPhone('call me')).toBe('****');
    expect(maskPhone('+0123456789')).toBe('****');
    expect(maskPhone('+1234567890123456')).toBe('****');
    expect(maskPhone('')).toBe('');
    expect(maskPhone(null)).toBe('');
    expect(maskPhone(13800135678)).toBe('');
  });
});

describe('maskEmail', () => {
  it.each([
    ['zhang.san@example.com', 'z***@example.com'],
    ['Zhang.San@Example.COM', 'Z***@example.com'],
    ['a@example.com', '***@example.com'],
    ['@example.com', '***@example.com'],
    ['"odd@local"@example.com', '"***@example.com'],
    ['no-at-sign', '***'],
    ['zhang@', '***'],
    ['zhang@exa mple.com', '***'],
    ['', ''],
  ])('%s → %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('is total', () => {
    expect(maskEmail(undefined)).toBe('');
    expect(maskEmail({ email: 'x@y.z' })).toBe('');
  });
});

describe('maskBirthDate', () => {
  it('keeps the year only', () => {
    expect(maskBirthDate('1949-12-31')).toBe('1949-**-**');
    expect(maskBirthDate('1949-12-31T00:00:00Z')).toBe('1949-**-**');
    expect(maskBirthDate('31/12/1949')).toBe('****-**-**');
    expect(maskBirthDate('')).toBe('');
    expect(maskBirthDate(19491231)).toBe('');
  });
});

describe('an erased value', () => {
  it('stays [erased] through every mask, so a projection can mask whatever a decrypt gave', () => {
    for (const mask of [maskName, maskIdNumber, maskPhone, maskEmail, maskBirthDate]) expect(mask('[erased]')).toBe('[erased]');
  });
});
