/**
 * What a run needs of a tokenizer, whichever it is: the character tokenizer of our own models
 * (below), a Hugging Face model's byte-level BPE (bpe.ts), or that BPE a character at a time for
 * the character tasks (CharwiseTokenizer in bpe.ts).
 */
export interface Tokenizer {
  readonly vocabSize: number;
  /** 'char': one id per character; 'subword': a text's ids follow no character count (corpus windows are cut in ids). */
  readonly kind: 'char' | 'subword';
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
  /** The id of a mark that is one token (the end of a response, a separator), or an error naming it. */
  id(symbol: string): number;
  /** As a Hugging Face tokenizer.json (exports). */
  toHfTokenizerJson(): string;
  /** What our own checkpoint format records of it (the alphabet), or undefined where it cannot (a BPE). */
  toJSON(): { alphabet: string } | undefined;
}

/**
 * Character-level tokenizer over a fixed alphabet. Id 0 is the replacement token: any character
 * outside the alphabet encodes to it (never a crash) and decodes to U+FFFD.
 */
export const REPLACEMENT = '\uFFFD';

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly alphabet: string[];
  private readonly index: Map<string, number>;

  constructor(alphabet: string | string[]) {
    const chars = [...alphabet];
    if (new Set(chars).size !== chars.length) throw new Error('tokenizer: the alphabet repeats a character');
    if (chars.includes(REPLACEMENT)) throw new Error('tokenizer: the alphabet must not contain U+FFFD (it is the replacement token)');
    this.alphabet = [REPLACEMENT, ...chars];
    this.index = new Map(this.alphabet.map((c, i) => [c, i]));
  }

  get vocabSize(): number {
    return this.alphabet.length;
  }

  encode(text: string): number[] {
    return [...text].map((c) => this.index.get(c) ?? 0);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.alphabet[ids[i]!] ?? REPLACEMENT;
    return s;
  }

  id(char: string): number {
    const i = this.index.get(char);
    if (i === undefined) throw new Error(`tokenizer: ${JSON.stringify(char)} is not in the alphabet`);
    return i;
  }

  /**
   * This tokenizer as a Hugging Face tokenizer.json: a BPE model with one token per character and
   * no merges, no pre-tokenizer, the replacement character as the unknown token (id 0, as here) and
   * a decoder that joins the characters back. transformers and tokenizers.js read it.
   */
  toHfTokenizerJson(): string {
    const vocab = Object.fromEntries(this.alphabet.map((c, i) => [c, i]));
    return JSON.stringify({
      version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null,
      decoder: { type: 'Fuse' },
      model: { type: 'BPE', dropout: null, unk_token: REPLACEMENT, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
    });
  }

  toJSON(): { alphabet: string } {
    return { alphabet: this.alphabet.slice(1).join('') };
  }
}
