/** Small tensor helpers that work around backend limits. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Sum of tensors of one shape by a balanced tree of two-input adds. Not tf.addN: on
 * tfjs-webgpu 4.22.0 an addN of 8 or more inputs binds more storage buffers than a shader stage
 * may have (8 by default) and silently returns garbage (seen on SwiftShader: 8 inputs gave 1e-45).
 */
export function addAll(xs: tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error('addAll: no tensors');
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

/**
 * f(...inputs) as a constant for the gradient (tfjs has no stop-gradient): f's own ops are not
 * recorded, and the inputs get a zero gradient from it. For what only selects, such as a gate
 * compared with a threshold, whose gradient is zero anyway but would otherwise be taken through f.
 */
export function asConstant(inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return { value: f(...xs), gradFunc: () => xs.map((x) => tf.zerosLike(x)) };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(...inputs);
}
