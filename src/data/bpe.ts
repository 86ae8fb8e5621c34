/**
 * The tokenizer of a Hugging Face model (byte-level BPE for GPT-2), from its tokenizer.json, through
 * @huggingface/tokenizers (pure JS, no dependencies, ~8 kB gzip: it runs in the worker as in Node;
 * transformers.js uses it; the Rust `tokenizers` package needs a native addon and the full
 * transformers.js pulls ONNX runtimes). The character tokenizer (tokenizer.ts) stays for the
 * shipped presets.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from './tokenizer';

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'subword';

  private constructor(
    private readonly tok: HfTokenizer,
    /** Size of the vocabulary (the model's rows of wte must cover it). */
    readonly vocabSize: number,
    /** The tokenizer.json it was read from (exports carry it as it was). */
    private readonly json: string,
  ) {}

  /** From tokenizer.json (and tokenizer_config.json where there is one), as text; a clear error when they are not a tokenizer. */
  static fromJson(tokenizerJson: string, configJson = '{}'): BpeTokenizer {
    let json: unknown;
    let config: unknown;
    try {
      json = JSON.parse(tokenizerJson);
      config = JSON.parse(configJson);
    } catch (e) {
      throw new Error(`tokenizer.json is not valid JSON: ${(e as Error).message}`);
    }
    const model = (json as { model?: { type?: unknown; vocab?: unknown } } | null)?.model;
    if (!model || typeof model.vocab !== 'object' || model.vocab === null) throw new Error('tokenizer.json has no model.vocab: not a Hugging Face tokenizer file');
    let tok: HfTokenizer;
    try {
      tok = new HfTokenizer(json as object, config as object);
    } catch (e) {
      throw new Error(`tokenizer.json could not be read: ${(e as Error).message}`);
    }
    const ids = Object.values(model.vocab as Record<string, number>);
    const added = ((json as { added_tokens?: { id: number }[] }).added_tokens ?? []).map((t) => t.id);
    return new BpeTokenizer(tok, [...ids, ...added].reduce((a, b) => Math.max(a, b), -1) + 1, tokenizerJson); // no spread: 50,257 arguments overflow some engines
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: ArrayLike<number>): string {
    return this.tok.decode(Array.from(ids));
  }

  id(symbol: string): number {
    const ids = this.encode(symbol);
    if (ids.length !== 1) throw new Error(`tokenizer: ${JSON.stringify(symbol)} is ${ids.length} tokens here, not one`);
    return ids[0]!;
  }

  toHfTokenizerJson(): string {
    return this.json;
  }

  toJSON(): undefined {
    return undefined;
  }
}

/**
 * A BPE vocabulary used a character at a time: every character is its own token (each must be
 * one token of the vocabulary, as every ASCII character is in GPT-2's byte-level BPE). The
 * character tasks (copy, reverse, …) use it with an imported model, so that their examples keep
 * one token per character and batches one length — not the model's usual tokenization of such
 * strings, which is what fine-tuning on the task teaches it.
 */
export class CharwiseTokenizer implements Tokenizer {
  readonly kind = 'char';
  private readonly ids = new Map<string, number>();

  constructor(readonly bpe: BpeTokenizer) {}

  get vocabSize(): number {
    return this.bpe.vocabSize;
  }

  id(symbol: string): number {
    let i = this.ids.get(symbol);
    if (i === undefined) {
      i = this.bpe.id(symbol);
      this.ids.set(symbol, i);
    }
    return i;
  }

  encode(text: string): number[] {
    return [...text].map((c) => this.id(c));
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.bpe.decode([ids[i]!]);
    return s;
  }

  toHfTokenizerJson(): string {
    return this.bpe.toHfTokenizerJson();
  }

  toJSON(): undefined {
    return undefined;
  }
}
