/**
 * The officially assigned ISO 3166-1 alpha-2 country codes (249). Their names come from the
 * runtime's ICU data (Intl.DisplayNames) in the page's language, so no list of names is kept here.
 */
export const COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ ' +
  'UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW').split(' ');

const KNOWN = new Set(COUNTRY_CODES);

/** The code as the form sent it, upper-cased, when it is one of the list; else null. */
export function countryCode(value: string): string | null {
  const code = value.trim().toUpperCase();
  return KNOWN.has(code) ? code : null;
}

const lists = new Map<string, Array<[string, string]>>();

/** [code, name] pairs sorted by name in the page's language (`en_US` → English), cached per language. */
export function countryOptions(locale: string): Array<[string, string]> {
  const lang = locale.replace('_', '-');
  const cached = lists.get(lang);
  if (cached !== undefined) return cached;
  let names: Intl.DisplayNames;
  try {
    names = new Intl.DisplayNames([lang, 'en'], { type: 'region' });
  } catch {
    names = new Intl.DisplayNames(['en'], { type: 'region' });
  }
  const collator = new Intl.Collator([lang, 'en'].filter((l) => Intl.Collator.supportedLocalesOf(l).length > 0));
  const list = COUNTRY_CODES.map((code): [string, string] => [code, names.of(code) ?? code]).sort((a, b) => collator.compare(a[1], b[1]));
  if (lists.size < 64) lists.set(lang, list);
  return list;
}

/** The country a locale suggests (`en_US` → `US`), when it names one of the list. */
export function localeCountry(locale: string): string | null {
  return countryCode(locale.split('_')[1] ?? '');
}
