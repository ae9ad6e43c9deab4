/**
 * The province-level divisions of GB/T 2260 (codes for the administrative divisions of the People's Republic of
 * China): the first two digits of every six-digit division code, and so of every resident id number
 * (GB 11643-1999 characters 1–2 name the province where the id was first issued).
 *
 * Written from the standard's province-level list (unchanged at this level since Chongqing, 50, was added in
 * 1997; Hainan, 46, dates from 1988). 71, 81 and 82 are in the standard although the mainland issues no resident
 * ids there; the residence permits of Hong Kong and Macau residents do start with 81 and 82. Codes that are not
 * province codes of GB/T 2260 — 83 (residence permits of Taiwan residents, which use 830000 rather than 71) and
 * the 9… of foreigners' permanent residence cards — are therefore not resident ids here.
 */
export interface CnProvince {
  /** Two digits, e.g. "11". */
  readonly code: string;
  /** The name in Chinese, as GB/T 2260 writes it. */
  readonly nameZh: string;
  readonly nameEn: string;
}

export const CN_PROVINCES: readonly CnProvince[] = [
  // North China
  { code: '11', nameZh: '北京市', nameEn: 'Beijing' },
  { code: '12', nameZh: '天津市', nameEn: 'Tianjin' },
  { code: '13', nameZh: '河北省', nameEn: 'Hebei' },
  { code: '14', nameZh: '山西省', nameEn: 'Shanxi' },
  { code: '15', nameZh: '内蒙古自治区', nameEn: 'Inner Mongolia' },
  // North-east
  { code: '21', nameZh: '辽宁省', nameEn: 'Liaoning' },
  { code: '22', nameZh: '吉林省', nameEn: 'Jilin' },
  { code: '23', nameZh: '黑龙江省', nameEn: 'Heilongjiang' },
  // East
  { code: '31', nameZh: '上海市', nameEn: 'Shanghai' },
  { code: '32', nameZh: '江苏省', nameEn: 'Jiangsu' },
  { code: '33', nameZh: '浙江省', nameEn: 'Zhejiang' },
  { code: '34', nameZh: '安徽省', nameEn: 'Anhui' },
  { code: '35', nameZh: '福建省', nameEn: 'Fujian' },
  { code: '36', nameZh: '江西省', nameEn: 'Jiangxi' },
  { code: '37', nameZh: '山东省', nameEn: 'Shandong' },
  // Central and South
  { code: '41', nameZh: '河南省', nameEn: 'Henan' },
  { code: '42', nameZh: '湖北省', nameEn: 'Hubei' },
  { code: '43', nameZh: '湖南省', nameEn: 'Hunan' },
  { code: '44', nameZh: '广东省', nameEn: 'Guangdong' },
  { code: '45', nameZh: '广西壮族自治区', nameEn: 'Guangxi' },
  { code: '46', nameZh: '海南省', nameEn: 'Hainan' },
  // South-west
  { code: '50', nameZh: '重庆市', nameEn: 'Chongqing' },
  { code: '51', nameZh: '四川省', nameEn: 'Sichuan' },
  { code: '52', nameZh: '贵州省', nameEn: 'Guizhou' },
  { code: '53', nameZh: '云南省', nameEn: 'Yunnan' },
  { code: '54', nameZh: '西藏自治区', nameEn: 'Tibet (Xizang)' },
  // North-west
  { code: '61', nameZh: '陕西省', nameEn: 'Shaanxi' },
  { code: '62', nameZh: '甘肃省', nameEn: 'Gansu' },
  { code: '63', nameZh: '青海省', nameEn: 'Qinghai' },
  { code: '64', nameZh: '宁夏回族自治区', nameEn: 'Ningxia' },
  { code: '65', nameZh: '新疆维吾尔自治区', nameEn: 'Xinjiang' },
  // Taiwan, and the special administrative regions
  { code: '71', nameZh: '台湾省', nameEn: 'Taiwan' },
  { code: '81', nameZh: '香港特别行政区', nameEn: 'Hong Kong' },
  { code: '82', nameZh: '澳门特别行政区', nameEn: 'Macau' },
];

const BY_CODE: ReadonlyMap<string, CnProvince> = new Map(CN_PROVINCES.map((province) => [province.code, province]));

/** The province a two-digit code names, or undefined when GB/T 2260 has no such province. */
export function cnProvinceOf(twoDigits: string): CnProvince | undefined {
  return BY_CODE.get(twoDigits);
}

/** Whether exactly two characters are a province-level code of GB/T 2260 ("11" yes; "10", "1", "011" no). */
export function isProvinceCode(twoDigits: string): boolean {
  return BY_CODE.has(twoDigits);
}
