// What a mask read from the data looks like: a file of pre-softmax scores carries its mask as −∞
// cells (TransformerLens's hook_attn_scores, Hugging Face eager logits with the mask added), and the
// panel names that shape ("causal, from the file") instead of the mask control's "bidirectional".
import type { MaskName } from '../../src/protocol/messages';

export type MaskShape = Exclude<MaskName, 'none'>;

/**
 * The shape of `allowed` (n queries × m keys, 0 = masked): causal when exactly the keys after each
 * query are masked (queries aligned to the last m keys when n < m, as with a KV cache), anti-causal
 * for the mirror image, custom for any other pattern; null when nothing is masked.
 */
export function maskShape(allowed: Uint8Array | null, n: number, m: number): MaskShape | null {
  if (allowed === null) return null;
  // Asked for every model built from the same head (each slider move): one pass over n·m per mask.
  const known = shapes.get(allowed);
  if (known !== undefined && known.n === n && known.m === m) return known.shape;
  const shape = inferShape(allowed, n, m);
  shapes.set(allowed, { n, m, shape });
  return shape;
}

const shapes = new WeakMap<Uint8Array, { n: number; m: number; shape: MaskShape | null }>();

function inferShape(allowed: Uint8Array, n: number, m: number): MaskShape | null {
  const offset = m - n;
  let causal = true,
    anticausal = true,
    any = false;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const masked = allowed[i * m + j] === 0;
      any ||= masked;
      if (masked !== j > i + offset) causal = false;
      if (masked !== j < i) anticausal = false;
    }
  if (!any) return null;
  return causal ? 'causal' : anticausal ? 'anticausal' : 'custom';
}

const SHAPE_WORDS: Record<MaskShape, string> = {
  causal: 'causal',
  anticausal: 'anti-causal',
  custom: 'custom',
};

/**
 * The legend's words for masked cells: the inferred shape when the data brought its own mask (the
 * user's mask is `none`), else the mask chosen, so the picture never says less than the data does.
 */
export function maskedLegend(allowed: Uint8Array | null, n: number, m: number, chosen: MaskName): string {
  const shape = maskShape(allowed, n, m);
  if (shape === null) return 'masked';
  if (chosen === 'none') return `masked (${SHAPE_WORDS[shape]}, from the file)`;
  return 'masked';
}

/**
 * The mask in use as the panel names it (status line, the mask control's first choice): the file's
 * own shape when the user added none ("causal, from the file"), never "bidirectional" over data
 * that masks itself; else the chosen mask's title.
 */
export function maskInUse(allowed: Uint8Array | null, n: number, m: number, chosen: MaskName, title: string): string {
  const shape = chosen === 'none' ? maskShape(allowed, n, m) : null;
  return shape === null ? title : `${SHAPE_WORDS[shape]}, from the file`;
}
