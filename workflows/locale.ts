/** The languages bansou speaks to people in: Japanese first, English too. A leaf module every other one may import. */
export type Locale = 'ja' | 'en';
export const LOCALES = ['ja', 'en'] as const satisfies readonly Locale[];

/** Text in both languages. */
export type LocalizedText = Record<Locale, string>;
