/**
 * A Hugging Face model folder (GPT-2 family): config.json, model.safetensors and tokenizer.json
 * (tokenizer_config.json optional) as the host read them, checked against each other. What a
 * folder lacks or holds in another form (a sharded checkpoint, PyTorch pickles) is named.
 */
import { BpeTokenizer } from '../data/bpe';
import { importGpt2 } from '../model/hf-gpt2';
import type { Transformer } from '../model/transformer';

export interface HfFolderFiles {
  /** The folder's file names (to say what is there when something is missing). */
  names: string[];
  read(name: string): Promise<Uint8Array | null>;
}

export const HF_FILES = { config: 'config.json', weights: 'model.safetensors', tokenizer: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json' } as const;

export async function readHfFolder(where: string, files: HfFolderFiles): Promise<{ model: Transformer; tokenizer: BpeTokenizer }> {
  const need = async (name: string): Promise<Uint8Array> => {
    const bytes = await files.read(name);
    if (bytes) return bytes;
    if (name === HF_FILES.weights && files.names.includes('model.safetensors.index.json')) throw new Error(`${where} holds a sharded checkpoint (model.safetensors.index.json): only a single model.safetensors is supported`);
    if (name === HF_FILES.weights && files.names.some((n) => n.endsWith('.bin'))) throw new Error(`${where} holds PyTorch pickles (.bin), which are not read here: convert to model.safetensors`);
    throw new Error(`${where} has no ${name} (it has: ${files.names.join(', ') || 'nothing'})`);
  };
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const model = importGpt2(text(await need(HF_FILES.config)), await need(HF_FILES.weights));
  const config = await files.read(HF_FILES.tokenizerConfig);
  const tokenizer = BpeTokenizer.fromJson(text(await need(HF_FILES.tokenizer)), config ? text(config) : '{}');
  if (tokenizer.vocabSize > model.config.vocabSize) throw new Error(`${where}: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize} rows of embeddings`);
  return { model, tokenizer };
}
