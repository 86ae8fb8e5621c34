/**
 * Quality metrics computed on the CPU from decoded outputs: ROUGE-L F1 (LCS-based), exact match,
 * accuracy by output position; and the effective rank of a LoRA update from its small Gram
 * matrices.
 */

/** Length of the longest common subsequence of two token sequences. */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** ROUGE-L F1 of a candidate against a reference (token sequences); 0 when either is empty. */
export function rougeL<T>(candidate: readonly T[], reference: readonly T[]): number {
  const lcs = lcsLength(candidate, reference);
  if (lcs === 0) return 0;
  const p = lcs / candidate.length;
  const r = lcs / reference.length;
  return (2 * p * r) / (p + r);
}

/** Word tokens as rouge_score makes them: lowercase, non-alphanumerics as spaces (no stemming). */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean);
}

/** Character tokens, for synthetic tasks. */
export function chars(text: string): string[] {
  return [...text];
}

/** Per output position t: the fraction of examples whose t-th generated token equals the gold one. */
export function accuracyByPosition(pairs: { candidate: string; reference: string }[]): number[] {
  const maxLen = Math.max(0, ...pairs.map((p) => p.reference.length));
  const hits = new Array<number>(maxLen).fill(0);
  const counts = new Array<number>(maxLen).fill(0);
  for (const { candidate, reference } of pairs) {
    const c = [...candidate];
    [...reference].forEach((ch, t) => {
      counts[t]! += 1;
      if (c[t] === ch) hits[t]! += 1;
    });
  }
  return hits.map((h, t) => h / Math.max(1, counts[t]!));
}

/** Eigenvalues of a symmetric n×n matrix (row-major). */
export function symmetricEigenvalues(m: ArrayLike<number>, n: number): number[] {
  return symmetricEigen(m, n).values;
}

/**
 * Singular values of A·B (A [in, r], B [r, out]) from the r×r Gram matrices G_A = AᵀA and
 * G_B = B·Bᵀ: σ² are the eigenvalues of the symmetric S·G_B·S, where S = G_A^{1/2}
 * = Q·Λ^{1/2}·Qᵀ from G_A = Q·Λ·Qᵀ. Only r×r work on the CPU, whatever the matrix size.
 */
export function singularValuesFromGrams(gA: ArrayLike<number>, gB: ArrayLike<number>, r: number): number[] {
  const { values, vectors } = symmetricEigen(gA, r);
  // S = Q·diag(√λ)·Qᵀ
  const S = new Float64Array(r * r);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += vectors[i * r + k]! * Math.sqrt(Math.max(values[k]!, 0)) * vectors[j * r + k]!;
      S[i * r + j] = acc;
    }
  const M = mul(mul(S, Float64Array.from(gB), r), S, r);
  return symmetricEigenvalues(M, r)
    .map((x) => Math.sqrt(Math.max(x, 0)))
    .sort((a, b) => b - a);
}

function mul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return out;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: eigenvalues and
 * eigenvectors (the columns of a row-major n×n).
 */
export function symmetricEigen(m: ArrayLike<number>, n: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** Entropy-based effective rank (Roy & Vetterli 2007): exp(H(σ/Σσ)); 0 for a zero matrix. */
export function effectiveRank(singularValues: number[]): number {
  const total = singularValues.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return 0;
  let h = 0;
  for (const s of singularValues) {
    const p = s / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}
