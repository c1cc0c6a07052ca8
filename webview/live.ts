// The scale slider's work, done in the webview on the head already loaded: re-softmax the unscaled
// logits at the chosen factor and measure the rows' sharpness in the same pass (the core's
// softmaxWithSharpness), so the heatmap and the entropy figures follow the slider without a round
// trip to the host.
import { type RowSharpness, type SharpnessSummary, softmaxWithSharpness } from '../src/core';
import type { HeadPayload } from '../src/protocol/messages';

export interface LiveHead {
  readonly factor: number | null;
  readonly weights: Float32Array;
  readonly rows: Pick<RowSharpness, 'entropy' | 'maxWeight' | 'effectiveTokens' | 'emptyRows'>;
  readonly summary: Pick<SharpnessSummary, 'meanEntropy' | 'meanMaxWeight' | 'meanEffectiveTokens'>;
}

const summaryOf = (rows: LiveHead['rows']) => {
  const skip = new Set(rows.emptyRows);
  const mean = (v: Float32Array) => {
    let s = 0,
      c = 0;
    for (let i = 0; i < v.length; i++)
      if (!skip.has(i)) {
        s += v[i];
        c++;
      }
    return c ? s / c : 0;
  };
  return {
    meanEntropy: mean(rows.entropy),
    meanMaxWeight: mean(rows.maxWeight),
    meanEffectiveTokens: mean(rows.effectiveTokens),
  };
};

/** The head as sent (at its own factor). */
export function headAsSent(p: HeadPayload): LiveHead {
  const rows = {
    entropy: p.entropy,
    maxWeight: p.maxWeight,
    effectiveTokens: p.effectiveTokens,
    emptyRows: p.emptyRows,
  };
  return { factor: p.factor, weights: p.weights, rows, summary: summaryOf(rows) };
}

/** The head re-scaled: softmax(dots·factor) over the allowed cells, and its sharpness. */
export function headAtFactor(p: HeadPayload, factor: number): LiveHead {
  if (p.dots === null || p.factor === null || factor === p.factor) return headAsSent(p);
  const { weights, ...rows } = softmaxWithSharpness({ rows: p.n, cols: p.m, data: p.dots }, p.allowed, factor);
  return { factor, weights, rows, summary: summaryOf(rows) };
}

/** One query's walk-through (the paper's "I" in "I go home"): q·k, scaled, softmax, weighted values. */
export interface QueryStep {
  readonly row: number;
  readonly q: Float32Array | null;
  /** Per key: q·k (null when masked), ·factor, weight. */
  readonly dots: (number | null)[];
  readonly scaled: (number | null)[];
  readonly weights: number[];
  /** Σ_j w_j v_j (null without values). */
  readonly output: Float64Array | null;
}

export function queryStep(p: HeadPayload, live: LiveHead, row: number): QueryStep {
  const m = p.m;
  const base = row * m;
  const masked = (j: number) => p.allowed !== null && p.allowed[base + j] === 0;
  const dots: (number | null)[] = [];
  const scaled: (number | null)[] = [];
  const weights: number[] = [];
  for (let j = 0; j < m; j++) {
    const d = p.dots && !masked(j) ? p.dots[base + j] : null;
    dots.push(d);
    scaled.push(d === null || live.factor === null ? null : d * live.factor);
    weights.push(live.weights[base + j]);
  }
  let output: Float64Array | null = null;
  if (p.v && p.dV !== null) {
    output = new Float64Array(p.dV);
    for (let j = 0; j < m; j++) {
      const w = weights[j];
      if (w === 0) continue;
      for (let d = 0; d < p.dV; d++) output[d] += w * p.v[j * p.dV + d];
    }
  }
  const q = p.q && p.dK !== null ? p.q.subarray(row * p.dK, (row + 1) * p.dK) : null;
  return { row, q, dots, scaled, weights, output };
}

/** The keys to list for a row: all when few, else the strongest `limit` (ties by position). */
export function keysToShow(weights: readonly number[], limit: number): number[] {
  const order = weights.map((w, j) => j);
  if (order.length <= limit) return order;
  order.sort((a, b) => weights[b] - weights[a] || a - b);
  return order.slice(0, limit).sort((a, b) => a - b);
}

/** Sample variance of the allowed logits: this head's own point on the Var(q·k) chart. */
export function logitVariance(p: HeadPayload): number | null {
  if (!p.dots) return null;
  let mean = 0,
    m2 = 0,
    count = 0;
  for (let k = 0; k < p.dots.length; k++) {
    if (p.allowed !== null && p.allowed[k] === 0) continue;
    const x = p.dots[k];
    count++;
    const delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
  }
  return count > 1 ? m2 / (count - 1) : null;
}
