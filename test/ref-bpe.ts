/**
 * GPT-2's byte-level BPE encoder written out from its published algorithm (openai/gpt-2
 * encoder.py): the pre-tokenizer regex, bytes → the printable characters of bytes_to_unicode, then
 * merges applied lowest rank first within each piece. Independent of @huggingface/tokenizers: the
 * tests' reference for the tokenizer the engine reads from tokenizer.json.
 */
/** bytes_to_unicode: the character standing for each byte value (printable bytes as themselves, the rest from U+0100 on). */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) bs.push(b), cs.push(256 + n++);
  const byChar: string[] = [];
  bs.forEach((b, i) => (byChar[b] = String.fromCodePoint(cs[i]!)));
  return byChar;
}

const PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function refBpeEncode(text: string, vocab: Record<string, number>, merges: [string, string][]): number[] {
  const chars = bytesToUnicode(); // by byte value
  const rank = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const piece of text.match(PIECES) ?? []) {
    let word = [...new TextEncoder().encode(piece)].map((b) => chars[b]!);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = rank.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      const [a, b] = [word[best]!, word[best + 1]!];
      const next: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) next.push(a + b), i++;
        else next.push(word[i]!);
      }
      word = next;
    }
    for (const w of word) {
      const id = vocab[w];
      if (id === undefined) throw new Error(`ref BPE: ${JSON.stringify(w)} is not in the vocabulary`);
      ids.push(id);
    }
  }
  return ids;
}
