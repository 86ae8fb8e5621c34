/**
 * Registers the engine's fused WebGPU programs into tfjs's webgpu backend (the browser worker and
 * Node's Dawn host both call this after the backend is imported). Which ones run is the kernel
 * switch's choice (src/model/fused/); without registration the reference graph runs.
 */
import { registerAdamW } from './adamw';
import { registerAttention } from './attention';
import { registerDecode } from './decode';
import { registerDivergence } from './divergence';
import { registerGelu } from './gelu';
import { registerLayerNorm } from './layer-norm';
import { registerRolloutChoice } from './rollout-choice';

export function registerFusedKernels(): void {
  registerLayerNorm();
  registerGelu();
  registerRolloutChoice();
  registerDecode();
  registerAdamW();
  registerAttention();
  registerDivergence();
}
