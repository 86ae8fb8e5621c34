/**
 * Hugging Face model folders (GPT-2 family), in and out. In: config.json, model.safetensors and
 * tokenizer.json (tokenizer_config.json optional) as the host read them, checked against each
 * other; what a folder lacks or holds in another form (a sharded checkpoint, PyTorch pickles) is
 * named. Out: the trained model, and for LoRA runs its base and a PEFT adapter.
 */
import { BpeTokenizer } from '../data/bpe';
import { exportGpt2, importGpt2 } from '../model/hf-gpt2';
import { exportPeftAdapter } from '../model/hf-peft';
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
  const [configBytes, weightBytes] = [await need(HF_FILES.config), await need(HF_FILES.weights)];
  let model: Transformer;
  try {
    model = importGpt2(text(configBytes), weightBytes);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`); // which folder, and its message names the file
  }
  const config = await files.read(HF_FILES.tokenizerConfig);
  const tokenizer = BpeTokenizer.fromJson(text(await need(HF_FILES.tokenizer)), config ? text(config) : '{}');
  if (tokenizer.vocabSize > model.config.vocabSize) throw new Error(`${where}: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize} rows of embeddings`);
  return { model, tokenizer };
}

/** The files of an export, by folder and name. */
export type HfExport = Record<string, Record<string, string | Uint8Array>>;

/**
 * A trained model as Hugging Face folders, each model folder with the tokenizer as tokenizer.json:
 *   student/   the trained model as a GPT-2 (`GPT2LMHeadModel.from_pretrained`); for a LoRA run the
 *              model the adapter sits on (the frozen student);
 *   adapter/   a LoRA run's PEFT adapter: `PeftModel.from_pretrained(student, adapter)` is the model;
 *   merged/    a LoRA run's student with the adapter folded in (the same model, plain GPT-2).
 */
export async function exportHfFolders(model: Transformer, tokenizerJson: string): Promise<HfExport> {
  const gpt2 = async (m: Transformer) => {
    const g = await exportGpt2(m);
    return { [HF_FILES.config]: g.configJson, [HF_FILES.weights]: g.safetensors, [HF_FILES.tokenizer]: tokenizerJson };
  };
  if (!model.lora || model.lora.merged) return { student: await gpt2(model) };
  const a = await exportPeftAdapter(model, 'student');
  return {
    student: await gpt2({ ...model, lora: null }),
    adapter: { 'adapter_config.json': a.configJson, 'adapter_model.safetensors': a.safetensors },
    merged: await gpt2(model),
  };
}
