/**
 * Other spellings of a kebab-case flag key, as code tends to write them: `new-checkout-flow` is
 * `newCheckoutFlow`, `new_checkout_flow`, `NEW_CHECKOUT_FLOW` or `NewCheckoutFlow`.
 */

export const ALIAS_FORMS = ['camelCase', 'snake_case', 'SCREAMING_SNAKE_CASE', 'PascalCase'] as const;
export type AliasForm = (typeof ALIAS_FORMS)[number];

/** How a reference spelled the key: the key itself (a string literal) or one of its aliases. */
export type Spelling = 'key' | AliasForm;

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

export function aliasOf(key: string, form: AliasForm): string {
  const words = key.split('-');
  switch (form) {
    case 'camelCase':
      return words[0] + words.slice(1).map(capitalize).join('');
    case 'PascalCase':
      return words.map(capitalize).join('');
    case 'snake_case':
      return words.join('_');
    case 'SCREAMING_SNAKE_CASE':
      return words.join('_').toUpperCase();
  }
}

/**
 * The spellings searched for a key. An alias equal to the key (a one-word key in camelCase) adds
 * nothing, and would turn every variable of that name into a reference, so it is left out.
 */
export function spellingsOf(
  key: string,
  forms: readonly AliasForm[],
): { text: string; spelling: Spelling }[] {
  const out: { text: string; spelling: Spelling }[] = [{ text: key, spelling: 'key' }];
  for (const form of forms) {
    const text = aliasOf(key, form);
    if (!out.some((s) => s.text === text)) out.push({ text, spelling: form });
  }
  return out;
}
