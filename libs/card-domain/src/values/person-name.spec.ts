import { namesMatch, normalizeNameForMatching } from './person-name';

describe('normalizeNameForMatching', () => {
  it.each([
    ['Latin letters in mixed case', 'ZHANG San', 'zhangsan'],
    ['full-width Latin letters', 'ＺＨＡＮＧ', 'zhang'],
    ['a middle dot between Uyghur names', '阿依古丽·买买提', '阿依古丽买买提'],
    ['Han characters (no case)', '张三', '张三'],
    ['an ideographic space', '张\u3000三', '张三'],
    ['a no-break space', 'Zhang\u00A0San', 'zhangsan'],
    ['a zero-width space and a word joiner', 'Zhang\u200BSan\u2060', 'zhangsan'],
    ['tabs and line breaks', 'Zhang\t\nSan', 'zhangsan'],
    ['a compatibility ligature', 'ﬁona', 'fiona'],
    ['a Kangxi radical (NFKC makes it the ideograph)', '\u2F00二', '一二'],
    ['a German sharp s', 'Straße', 'strasse'],
    ['a capital sharp s', 'STRAẞE', 'strasse'],
    ['a Greek final sigma', 'ΠΑΠΑΣ', 'παπασ'],
    ['accents (kept: only case is folded)', 'José ÉMILE', 'joséémile'],
    ['a decomposed accent (NFKC composes it)', 'Jose\u0301', 'josé'],
  ])('given %s, when normalised, then it reads as the plain form', (_case, name, normalised) => {
    expect(normalizeNameForMatching(name)).toBe(normalised);
  });

  it.each([
    ['U+00B7 middle dot', '\u00B7'],
    ['U+0387 Greek ano teleia', '\u0387'],
    ['U+2022 bullet', '\u2022'],
    ['U+2027 hyphenation point', '\u2027'],
    ['U+2219 bullet operator', '\u2219'],
    ['U+22C5 dot operator', '\u22C5'],
    ['U+2E31 word separator middle dot', '\u2E31'],
    ['U+30FB katakana middle dot', '\u30FB'],
    ['U+FF65 half-width katakana middle dot', '\uFF65'],
  ])('given a name written with the %s, when normalised, then the dot is gone', (_case, dot) => {
    expect(normalizeNameForMatching(`阿依古丽${dot}买买提`)).toBe('阿依古丽买买提');
    expect(normalizeNameForMatching(`阿依古丽 ${dot} 买买提`)).toBe('阿依古丽买买提');
  });

  it('given full stops and hyphens, when normalised, then they are kept: they are not middle dots', () => {
    expect(normalizeNameForMatching('J. Smith-Jones')).toBe('j.smith-jones');
  });
});

describe('namesMatch', () => {
  it.each([
    ['ZHANG San', 'zhangsan'],
    ['zhang san', 'Zhang San'],
    ['ＺＨＡＮＧ', 'zhang'],
    ['ＺＨＡＮＧ ＳＡＮ', 'ZHANG SAN'],
    ['阿依古丽·买买提', '阿依古丽买买提'],
    ['阿依古丽・买买提', '阿依古丽 · 买买提'],
    ['阿依古丽•买买提', '阿依古丽‧买买提'],
    ['张　三', '张 三'],
    ['Οδυσσέας Παπάς', 'ΟΔΥΣΣΈΑΣ ΠΑΠΆΣ'],
    ['Weiß', 'WEISS'],
  ])('given %p and %p, when compared, then they match', (presented, registered) => {
    expect(namesMatch(presented, registered)).toBe(true);
  });

  it.each([
    ['another Han character', '张三', '张四'],
    ['traditional and simplified characters (not folded)', '張三', '张三'],
    ['another Latin spelling', 'Zhang San', 'Zhang Shan'],
    ['a missing accent (accents count)', 'Jose', 'José'],
    ['a full stop', 'J. Smith', 'J Smith'],
    ['pinyin and Han characters', 'Zhang San', '张三'],
    ['two empty names', '', ''],
    ['only spaces and dots', '  ', '·'],
  ])('given %s, when compared, then they do not match', (_case, presented, registered) => {
    expect(namesMatch(presented, registered)).toBe(false);
  });
});
