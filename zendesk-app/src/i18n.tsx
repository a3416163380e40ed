import { createContext, useCallback, useContext, type ReactNode } from 'react';
import de from '../translations/de.json';
import en from '../translations/en.json';

type Strings = typeof en.ui;
export type MessageKey = keyof Strings;

const CATALOGS: Record<string, Strings> = { en: en.ui, de: de.ui };

/** `de-CH` → `de`; anything we do not translate falls back to English. */
export function pickLocale(locale: string | undefined): string {
  const language = (locale ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en';
  return language in CATALOGS ? language : 'en';
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function translator(locale: string): Translate {
  const catalog = CATALOGS[pickLocale(locale)] ?? en.ui;
  return (key, values = {}) =>
    (catalog[key] ?? en.ui[key]).replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(values[name] ?? ''));
}

const I18nContext = createContext<Translate>(translator('en'));

export function I18nProvider({ locale, children }: { locale: string; children: ReactNode }) {
  const t = useCallback<Translate>((key, values) => translator(locale)(key, values), [locale]);
  return <I18nContext.Provider value={t}>{children}</I18nContext.Provider>;
}

export function useT(): Translate {
  return useContext(I18nContext);
}
