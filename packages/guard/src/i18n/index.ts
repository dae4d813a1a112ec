import Negotiator from 'negotiator';
import { en, type StatusText } from './en.js';
import { ja } from './ja.js';

export type { StatusText };

const CATALOGUES: Record<string, StatusText> = { en, ja };
const LANGUAGES = Object.keys(CATALOGUES);

/** The catalogue for a request: an explicit `?lang=` wins, then the browser's Accept-Language, then English. */
export function statusText(query: string | undefined, acceptLanguage: string | undefined): StatusText {
  if (query && CATALOGUES[query]) return CATALOGUES[query];
  const chosen = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } }).language(LANGUAGES);
  return (chosen && CATALOGUES[chosen]) || en;
}
