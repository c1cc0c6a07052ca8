// The Transformer paper's argument for 1/√d_k, as an experiment: for q, k with independent entries of
// mean 0 and variance 1, q·k = Σ q_i k_i has mean 0 and variance d_k. Scaling by 1/√d_k brings the
// variance back to 1 whatever d_k is.
import { normalGenerator } from './random';

export interface VariancePoint {
  readonly dK: number;
  readonly samples: number;
  /** Empirical variance of q·k. */
  readonly varDot: number;
  /** Empirical variance of q·k/√d_k. */
  readonly varScaled: number;
  readonly theoryDot: number;
  readonly theoryScaled: number;
}

export const DEFAULT_VARIANCE_DIMS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export function varianceExperiment(
  dims: readonly number[] = DEFAULT_VARIANCE_DIMS,
  samples = 2000,
  seed = 1,
): VariancePoint[] {
  const next = normalGenerator(seed);
  return dims.map((dK) => {
    let mean = 0,
      m2 = 0; // Welford: stable for the large variances at d_k = 1024
    for (let s = 0; s < samples; s++) {
      let dot = 0;
      for (let i = 0; i < dK; i++) dot += next() * next();
      const delta = dot - mean;
      mean += delta / (s + 1);
      m2 += delta * (dot - mean);
    }
    const varDot = samples > 1 ? m2 / (samples - 1) : 0;
    return { dK, samples, varDot, varScaled: varDot / dK, theoryDot: dK, theoryScaled: 1 };
  });
}
