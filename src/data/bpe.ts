/**
 * The tokenizer of a Hugging Face model (byte-level BPE for GPT-2), from its tokenizer.json, through
 * @huggingface/tokenizers (pure JS, no dependencies, ~8 kB gzip: it runs in the worker as in Node;
 * transformers.js uses it; the Rust `tokenizers` package needs a native addon and the full
 * transformers.js pulls ONNX runtimes). The character tokenizer (tokenizer.ts) stays for the
 * shipped presets.
 */
import { Tokenizer } from '@huggingface/tokenizers';

export class BpeTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    /** Size of the vocabulary (the model's rows of wte must cover it). */
    readonly vocabSize: number,
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
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json as object, config as object);
    } catch (e) {
      throw new Error(`tokenizer.json could not be read: ${(e as Error).message}`);
    }
    const ids = Object.values(model.vocab as Record<string, number>);
    const added = ((json as { added_tokens?: { id: number }[] }).added_tokens ?? []).map((t) => t.id);
    return new BpeTokenizer(tok, Math.max(-1, ...ids, ...added) + 1);
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: ArrayLike<number>): string {
    return this.tok.decode(Array.from(ids));
  }
}
