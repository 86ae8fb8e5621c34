/**
 * GELU, tanh approximation (as GPT-2), elementwise in one program, and its derivative in one:
 *   u = √(2/π)·(x + 0.044715·x³),  GELU(x) = ½x·(1 + tanh u),
 *   GELU'(x) = ½(1 + tanh u) + ½x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²).
 * tanh is written through exp of a negative argument: WGSL's tanh overflows to NaN for |u| > ~44
 * on some drivers.
 */
import { FUSED } from '../../model/fused';
import { type Program, declareUniforms, perItem, registerProgram } from './program';

export const TANH_WGSL = `
  fn kdTanh(u : f32) -> f32 {
    let e = exp(-2.0 * abs(u));
    return sign(u) * (1.0 - e) / (1.0 + e);
  }
  const K_GELU = 0.7978845608028654; // √(2/π)
`;

const SIZE = declareUniforms({ n: 'i32' });

function elementwise(name: string, vars: string[], shape: number[], body: string): { program: Program } {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    program: {
      variableNames: vars,
      outputShape: shape,
      shaderKey: name,
      uniforms: SIZE.wgsl,
      ...perItem(n),
      getUserCode: () => `${TANH_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.n) { return; }
    let x = xs[index];
    ${body}
  }`,
    },
  };
}

export function registerGelu(): void {
  const size = (s: number[][]) => SIZE.values({ n: s[0]!.reduce((a, b) => a * b, 1) });
  registerProgram(FUSED.gelu, ['x'], (s) => ({ ...elementwise('kdGelu', ['xs'], s[0]!, 'result[index] = 0.5 * x * (1.0 + kdTanh(K_GELU * (x + 0.044715 * x * x * x)));'), uniforms: size(s) }));
  registerProgram(FUSED.geluGrad, ['dy', 'x'], (s) => ({
    ...elementwise('kdGeluGrad', ['dy', 'xs'], s[0]!, `let t = kdTanh(K_GELU * (x + 0.044715 * x * x * x));
    result[index] = dy[index] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * K_GELU * (1.0 + 3.0 * 0.044715 * x * x));`),
    uniforms: size(s),
  }));
}
