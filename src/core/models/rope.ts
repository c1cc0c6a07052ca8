// Rotary position embeddings as the Llama family computes them (transformers' modeling_rope_utils.py
// and apply_rotary_pos_emb): inverse frequencies θ^(−2i/d), optionally rescaled (linear, or Llama 3's
// smooth band between low_freq_factor and high_freq_factor), and the "rotate half" pairing, in which
// feature i rotates with feature i + d/2. Angles are computed in float64, then applied in float32.
import { type Matrix, matrixFrom } from '../matrix';

export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    };

export interface RopeConfig {
  readonly theta: number;
  /** Rotated features per head (head_dim, or a share of it under partial_rotary_factor). */
  readonly dim: number;
  readonly scaling: RopeScaling;
}

/** inv_freq[i] = 1 / θ^(2i/dim), then the scaling rule (as _compute_default/_linear/_llama3_parameters). */
export function inverseFrequencies(rope: RopeConfig): Float64Array {
  const half = rope.dim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(rope.theta, (2 * i) / rope.dim);
  const s = rope.scaling;
  if (s.type === 'linear') for (let i = 0; i < half; i++) inv[i] /= s.factor;
  if (s.type === 'llama3') {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen)
        inv[i] /= s.factor; // long wavelengths: fully interpolated
      else if (wavelen >= highWavelen) {
        // The band between: a smooth mix of interpolated and original frequency.
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

export interface RopeTables {
  readonly dim: number;
  /** [positions, dim/2] cos and sin of position·inv_freq. */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

export function ropeTables(rope: RopeConfig, positions: readonly number[]): RopeTables {
  const inv = inverseFrequencies(rope);
  const half = inv.length;
  const cos = new Float64Array(positions.length * half),
    sin = new Float64Array(positions.length * half);
  positions.forEach((p, t) => {
    for (let i = 0; i < half; i++) {
      const angle = p * inv[i];
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  });
  return { dim: rope.dim, cos, sin };
}

/**
 * Rotates every head of x (n × heads·headDim, head h in columns [h·headDim, (h+1)·headDim)):
 * x·cos + rotate_half(x)·sin on the first `dim` features of each head, the rest passed through.
 */
export function applyRope(x: Matrix, headDim: number, tables: RopeTables): Matrix {
  const out = new Float32Array(x.data);
  const half = tables.dim / 2;
  const heads = x.cols / headDim;
  for (let t = 0; t < x.rows; t++) {
    for (let h = 0; h < heads; h++) {
      const base = t * x.cols + h * headDim;
      for (let i = 0; i < half; i++) {
        const c = tables.cos[t * half + i],
          s = tables.sin[t * half + i];
        const a = x.data[base + i],
          b = x.data[base + i + half];
        out[base + i] = a * c - b * s;
        out[base + i + half] = b * c + a * s;
      }
    }
  }
  return matrixFrom(x.rows, x.cols, out);
}
