import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** What Zendesk requires of a ticket-sidebar app's manifest (framework 2.0). */
export const Manifest = z.object({
  name: z.string().min(1),
  author: z.object({ name: z.string().min(1), email: z.email(), url: z.url().optional() }),
  defaultLocale: z.string().min(2),
  private: z.boolean(),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be semantic (1.2.3)'),
  frameworkVersion: z.literal('2.0'),
  location: z.object({
    support: z.object({
      ticket_sidebar: z.object({ url: z.literal('assets/iframe.html'), flexible: z.boolean().optional() }),
    }),
  }),
  domainWhitelist: z.array(z.string().regex(/^[a-z0-9.*-]+$/i, 'must be a bare host name')).min(1),
  parameters: z
    .array(
      z.object({
        name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/),
        type: z.enum(['text', 'password', 'checkbox', 'url', 'number', 'multiline', 'hidden', 'oauth']),
        required: z.boolean().optional(),
        secure: z.boolean().optional(),
        default: z.union([z.string(), z.number(), z.boolean()]).optional(),
      }),
    )
    .refine((parameters) => parameters.some((p) => p.name === 'serverUrl'), 'needs a serverUrl parameter')
    .refine(
      (parameters) => parameters.some((p) => p.name === 'appSecret' && p.secure === true),
      'needs a secure appSecret parameter: it must never be readable from the browser',
    ),
});
export type Manifest = z.infer<typeof Manifest>;

const REQUIRED_ASSETS = ['iframe.html', 'logo.png', 'logo-small.png', 'logo.svg'];

/**
 * Checks an app folder the way Zendesk would before accepting it, offline: the manifest, every
 * translation key Zendesk shows for the app and its parameters, and the required assets.
 * Returns the problems found (empty when the folder is fine).
 */
export function checkAppFolder(dir: string): string[] {
  const problems: string[] = [];
  const read = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  let manifest: Manifest;
  try {
    const parsed = Manifest.safeParse(read('manifest.json'));
    if (!parsed.success)
      return parsed.error.issues.map((issue) => `manifest.json ${issue.path.join('.')}: ${issue.message}`);
    manifest = parsed.data;
  } catch (error) {
    return [`manifest.json: ${(error as Error).message}`];
  }
  const translationFiles = fs.existsSync(path.join(dir, 'translations'))
    ? fs.readdirSync(path.join(dir, 'translations'))
    : [];
  if (!translationFiles.includes(`${manifest.defaultLocale}.json`)) {
    problems.push(`translations/${manifest.defaultLocale}.json is missing (the default locale)`);
  }
  const requiredKeys = [
    'app.name',
    'app.short_description',
    'app.long_description',
    'app.installation_instructions',
    ...manifest.parameters.map((p) => `app.parameters.${p.name}.label`),
  ];
  for (const file of translationFiles.filter((name) => name.endsWith('.json'))) {
    const translations = read(`translations/${file}`);
    for (const key of requiredKeys) {
      const value = key
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], translations);
      if (typeof value !== 'string' || value.trim() === '') problems.push(`translations/${file}: ${key} is missing`);
    }
  }
  for (const asset of REQUIRED_ASSETS) {
    if (!fs.existsSync(path.join(dir, 'assets', asset))) problems.push(`assets/${asset} is missing`);
  }
  return problems;
}
