/** Text normalisation for the corpora and for users' own files: plain ASCII punctuation, no control characters. */

const REPLACEMENTS: [RegExp, string][] = [
  [/\r\n?/g, '\n'],
  [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/[\u2013\u2012\u2010\u2011]/g, '-'],
  [/[\u2014\u2015]/g, '--'],
  [/\u2026/g, '...'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000\t]/g, ' '],
  // Control characters other than newline, and zero-width characters.
  [/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200D\uFEFF]/g, ''],
];

export function normalizeText(text: string): string {
  let s = text.normalize('NFC');
  for (const [re, to] of REPLACEMENTS) s = s.replace(re, to);
  return s
    .split('\n')
    .map((l) => l.replace(/ +$/, ''))
    .join('\n')
    .trim();
}
