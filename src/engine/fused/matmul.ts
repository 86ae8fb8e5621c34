/**
 * r + x·w in one program, x [M, K], w [K, N], r [M, N] (decoding's output projections with the
 * residual added as they are written: one dispatch where the reference takes two). A thread per
 * output; no gradient.
 */
import { FUSED } from '../../model/fused';
import { perItem, registerProgram } from './program';

export function registerMatMul(): void {
  registerProgram(FUSED.matMulAdd, ['x', 'w', 'r'], ([x, w]) => {
    const [M] = x as [number, number];
    const [, N] = w as [number, number];
    return {
      program: {
        variableNames: ['x', 'w', 'r'],
        outputShape: [M, N],
        shaderKey: 'kdMatMulAdd',
        ...perItem(M * N),
        getUserCode: () => `
  fn main(index : i32) {
    let K = uniforms.xShape[1];
    let N = uniforms.wShape[1];
    if (index >= uniforms.xShape[0] * N) { return; }
    let row = index / N;
    let c = index % N;
    var z = r[index];
    for (var k = 0; k < K; k = k + 1) { z = z + x[row * K + k] * w[k * N + c]; }
    result[index] = z;
  }`,
      },
    };
  });
}
