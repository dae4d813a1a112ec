import Negotiator from 'negotiator';
import { en, type Text } from './en.js';
import { ja } from './ja.js';

export type { Text };

const CATALOGUES: Record<string, Text> = { en, ja };
const LANGUAGES = Object.keys(CATALOGUES);

export const isLanguage = (value: string | undefined): value is 'en' | 'ja' => value !== undefined && value in CATALOGUES;

/** The reader's catalogue: a language they picked (switch link, remembered in a cookie) wins over Accept-Language. */
export function pickText(chosen: string | undefined, acceptLanguage: string | undefined): Text {
  if (isLanguage(chosen)) return CATALOGUES[chosen] as Text;
  const negotiated = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } }).language(LANGUAGES);
  return (negotiated && CATALOGUES[negotiated]) || en;
}
