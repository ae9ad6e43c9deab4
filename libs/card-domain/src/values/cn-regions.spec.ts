import { CN_PROVINCES, cnProvinceOf, isProvinceCode } from './cn-regions';

describe('the province-level codes of GB/T 2260', () => {
  it('given the table, when counted, then it holds the 34 province-level divisions once each, in order', () => {
    const codes = CN_PROVINCES.map((province) => province.code);
    expect(codes).toHaveLength(34);
    expect(new Set(codes).size).toBe(34);
    expect([...codes].sort()).toEqual(codes);
    expect(codes.every((code) => /^[1-8]\d$/.test(code))).toBe(true);
  });

  it.each([
    ['11', '北京市', 'Beijing'],
    ['15', '内蒙古自治区', 'Inner Mongolia'],
    ['23', '黑龙江省', 'Heilongjiang'],
    ['31', '上海市', 'Shanghai'],
    ['44', '广东省', 'Guangdong'],
    ['46', '海南省', 'Hainan'],
    ['50', '重庆市', 'Chongqing'],
    ['54', '西藏自治区', 'Tibet (Xizang)'],
    ['61', '陕西省', 'Shaanxi'],
    ['14', '山西省', 'Shanxi'],
    ['65', '新疆维吾尔自治区', 'Xinjiang'],
    ['71', '台湾省', 'Taiwan'],
    ['81', '香港特别行政区', 'Hong Kong'],
    ['82', '澳门特别行政区', 'Macau'],
  ])('given %s, when looked up, then it is %s (%s)', (code, nameZh, nameEn) => {
    expect(isProvinceCode(code)).toBe(true);
    expect(cnProvinceOf(code)).toEqual({ code, nameZh, nameEn });
  });

  it('given the groups of the standard, when listed, then each holds its provinces and nothing between them', () => {
    const inRange = (from: number, to: number): string[] =>
      CN_PROVINCES.map((p) => p.code).filter((code) => Number(code) >= from && Number(code) <= to);
    expect(inRange(10, 19)).toEqual(['11', '12', '13', '14', '15']);
    expect(inRange(20, 29)).toEqual(['21', '22', '23']);
    expect(inRange(30, 39)).toEqual(['31', '32', '33', '34', '35', '36', '37']);
    expect(inRange(40, 49)).toEqual(['41', '42', '43', '44', '45', '46']);
    expect(inRange(50, 59)).toEqual(['50', '51', '52', '53', '54']);
    expect(inRange(60, 69)).toEqual(['61', '62', '63', '64', '65']);
    expect(inRange(70, 99)).toEqual(['71', '81', '82']);
  });

  it.each([
    ['00', 'no division'],
    ['10', 'the gap before Beijing'],
    ['16', 'past Inner Mongolia'],
    ['20', 'the north-east group’s 0'],
    ['38', 'past Shandong'],
    ['47', 'past Hainan'],
    ['55', 'past Tibet'],
    ['60', 'the north-west group’s 0'],
    ['66', 'past Xinjiang'],
    ['70', 'before Taiwan'],
    ['83', 'residence permits of Taiwan residents (not a GB/T 2260 code)'],
    ['91', 'foreigners’ permanent residence cards'],
    ['99', 'no division'],
  ])('given %s (%s), when checked, then it is not a province code', (code) => {
    expect(isProvinceCode(code)).toBe(false);
    expect(cnProvinceOf(code)).toBeUndefined();
  });

  it.each(['1', '011', '110105', ' 11', '１１', '', 'AB'])('given %p (not two ASCII digits), when checked, then it is not a province code', (code) => {
    expect(isProvinceCode(code)).toBe(false);
  });
});
