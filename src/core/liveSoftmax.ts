// Softmax and its sharpness in one pass over the logits: what the scale slider needs every frame.
// softmaxRows followed by rowSharpness costs an exp and a log per cell; here the entropy comes from
// the row's log-sum-exp instead, so a cell costs one exp and a multiply-add:
//
//   v_j = factor·x_j, M = max_j v_j, e_j = exp(v_j − M), Z = Σ e_j, p_j = e_j / Z
//   H = −Σ p_j log p_j = log Z − Σ p_j (v_j − M)        largest weight = 1/Z (the max cell has e = 1)
//
// The results equal softmaxRows + rowSharpness (entropy, largest weight, exp(H)); the Jacobian norm
// and the normalised entropy, which the slider does not show, are left out.
import type { Matrix } from './matrix';

export interface SoftmaxSharpness {
  /** Softmax weights (rows·cols); masked cells and empty rows are exactly 0. */
  readonly weights: Float32Array;
  /** Per row, in nats; 0 for an empty row. */
  readonly entropy: Float32Array;
  readonly maxWeight: Float32Array;
  /** exp(entropy); 0 for an empty row. */
  readonly effectiveTokens: Float32Array;
  /** Rows with no allowed key. */
  readonly emptyRows: number[];
}

/**
 * softmax(logits·factor) by rows over the allowed cells (1 = may attend; null = all), with each row's
 * entropy, largest weight and effective number of keys.
 */
export function softmaxWithSharpness(logits: Matrix, allowed: Uint8Array | null, factor: number): SoftmaxSharpness {
  const { rows: n, cols: m, data } = logits;
  const weights = new Float32Array(n * m);
  const entropy = new Float32Array(n);
  const maxWeight = new Float32Array(n);
  const effectiveTokens = new Float32Array(n);
  const emptyRows: number[] = [];
  for (let i = 0; i < n; i++) {
    const base = i * m,
      end = base + m;
    let max = -Infinity;
    if (allowed === null) {
      for (let k = base; k < end; k++) {
        const v = data[k] * factor;
        if (v > max) max = v;
      }
    } else {
      for (let k = base; k < end; k++) {
        if (allowed[k] === 0) continue;
        const v = data[k] * factor;
        if (v > max) max = v;
      }
    }
    if (max === -Infinity) {
      emptyRows.push(i);
      continue;
    }
    // Σ e_j and Σ e_j·(v_j − M), in float64.
    let z = 0,
      moment = 0;
    if (allowed === null) {
      for (let k = base; k < end; k++) {
        const d = data[k] * factor - max;
        const e = Math.exp(d);
        weights[k] = e;
        z += e;
        moment += e * d;
      }
    } else {
      for (let k = base; k < end; k++) {
        if (allowed[k] === 0) continue;
        const d = data[k] * factor - max;
        const e = Math.exp(d);
        weights[k] = e;
        z += e;
        moment += e * d;
      }
    }
    const inv = 1 / z;
    for (let k = base; k < end; k++) weights[k] *= inv;
    const h = Math.max(0, Math.log(z) - moment * inv);
    entropy[i] = h;
    maxWeight[i] = inv;
    effectiveTokens[i] = Math.exp(h);
  }
  return { weights, entropy, maxWeight, effectiveTokens, emptyRows };
}
