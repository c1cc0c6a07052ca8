// What "scale" means, in one place. Two words, used the same way in every layer:
// - a **rule** (`ScaleRule`): what a file, a flag or a setting asks for: 'sqrt' (the Transformer's
//   1/√d_k), 'none' (1) or a positive number used as given. Fields and options named `scale` hold a rule.
// - a **factor**: the number the logits are multiplied by (scores = dots·factor). A rule gives a
//   factor once the key dimension d_k is known. Fields named `factor` hold one.
// Also here: the rule used when none is given, the canonical factors of the scale sweep, which
// inputs can be re-scaled at all, and the one way of refusing a re-scale.
import { InputError } from './errors';

/** 'sqrt' is 1/√d_k, 'none' is 1, a number is a multiplier used as given. */
export type ScaleRule = 'sqrt' | 'none' | number;

/** The named rules, as a file, flag or setting writes them. */
export const SCALE_RULE_WORDS = ['sqrt', 'none'] as const;

/** Largest finite float32: a larger factor would overflow every non-zero logit. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The factor a rule gives for key dimension `dK`. 'sqrt' without d_k is a programming error here (inputs are checked first). */
export function scaleFactor(rule: ScaleRule, dK: number | undefined): number {
  if (rule === 'none') return 1;
  if (rule === 'sqrt') {
    if (dK === undefined) throw new RangeError('scale "sqrt" needs d_k');
    return 1 / Math.sqrt(dK);
  }
  return rule;
}

/**
 * The rule when the input and the user give none: 1/√d_k whenever d_k is known (Q/K/V, text,
 * scores with a d_k); 'none' for given scores without d_k, which have no 1/√d_k to apply.
 */
export function defaultScaleRule(dK: number | undefined): ScaleRule {
  return dK === undefined ? 'none' : 'sqrt';
}

/**
 * The factor for key dimension `dK` under `rule` (or the default rule when none is given). A
 * 'sqrt' asked for without a d_k is the user's error: an InputError at `where` (the flag, setting
 * or field that asked for it).
 */
export function factorFor(rule: ScaleRule | undefined, dK: number | undefined, where = 'scale'): number {
  const chosen = rule ?? defaultScaleRule(dK);
  if (chosen === 'sqrt' && dK === undefined) throw sqrtNeedsDK(where);
  return scaleFactor(chosen, dK);
}

/**
 * The refusal of 'sqrt' on scores that do not say their key dimension: in the document's own
 * `scale` field (the fix is in the same document), or asked for by a flag or setting.
 */
export function sqrtNeedsDK(where: string, inDocument = false): InputError {
  return new InputError(
    where,
    inDocument
      ? '"sqrt" needs the key dimension: add $.d_k'
      : 'scale sqrt needs the key dimension, and these scores have no $.d_k',
  );
}

/** A numeric rule that is exactly 1/√d_k is reported as 'sqrt' (what the user sees and exports). */
export function namedRule(rule: ScaleRule, dK: number | undefined): ScaleRule {
  return typeof rule === 'number' && dK !== undefined && Math.abs(rule - 1 / Math.sqrt(dK)) < 1e-12 ? 'sqrt' : rule;
}

/** A value that is a rule: 'sqrt', 'none' or a positive finite number within float32 (readers name the field when not). */
export function isScaleRule(value: unknown): value is ScaleRule {
  return (
    value === 'sqrt' ||
    value === 'none' ||
    (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= FLOAT32_MAX)
  );
}

/** A rule given as text (a CLI flag or a setting): sqrt, none, or a positive number. */
export function parseScaleRule(text: string, where: string): ScaleRule {
  if (text === 'sqrt' || text === 'none') return text;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InputError(where, `expected sqrt, none or a positive number, found ${JSON.stringify(text)}`);
  return n;
}

/** The sweep's labels for the canonical factors: 1 ('unscaled'), 1/√d_k ('sqrt'), 1/d_k ('linear'). */
export const CANONICAL_LABELS = ['unscaled', 'sqrt', 'linear'] as const;
export type CanonicalLabel = (typeof CANONICAL_LABELS)[number];
/** A sweep point's label: a canonical factor's, or 'grid' for the log-spaced ones. */
export const SWEEP_LABELS = [...CANONICAL_LABELS, 'grid'] as const;
export type SweepLabel = (typeof SWEEP_LABELS)[number];

/** The canonical factors 1, 1/√d_k, 1/d_k in that order (only 1 when d_k is unknown). */
export function canonicalFactors(dK: number | undefined): { factor: number; label: CanonicalLabel }[] {
  const out: { factor: number; label: CanonicalLabel }[] = [{ factor: 1, label: 'unscaled' }];
  if (dK !== undefined) {
    out.push({ factor: 1 / Math.sqrt(dK), label: 'sqrt' });
    out.push({ factor: 1 / dK, label: 'linear' });
  }
  return out;
}

/**
 * Whether an input's heads can be re-scaled: only logits can (given scores, or Q/K/V from which
 * q·k is computed). Exported post-softmax weights have no logits left to multiply.
 */
export function isRescalable(form: 'qkv' | 'projected' | 'scores' | 'weights' | 'text'): boolean {
  return form !== 'weights';
}

/** The words every refusal of a re-scale contains, so users (and tests) can recognise it. */
export const CANNOT_RESCALE = 'cannot be re-scaled';

/**
 * Why a scale was refused, as the user reads it. Each names what was asked of and what to do
 * instead; the remedy differs by where the rule came from (a JSON field, an override, a tensor
 * whose meaning was detected and can be overridden).
 */
export const RESCALE_REFUSALS = {
  /** A JSON attentions document with its own `scale` field. */
  weightsField: `attentions are post-softmax weights and ${CANNOT_RESCALE} (give scores or Q/K/V to scale)`,
  /** A scale override (flag, setting) on a JSON attentions document. */
  weightsOverride: `the input is post-softmax attentions, which ${CANNOT_RESCALE} (give scores or Q/K/V)`,
  /** A scale override on a tensor detected (or declared) as weights. */
  weightsTensor: `this tensor holds post-softmax weights, which ${CANNOT_RESCALE} (pass --meaning scores if they are logits)`,
  /** A tensor file of weights opened with a scale or a mask. */
  weightsFile: `exported attention weights ${CANNOT_RESCALE} or re-masked`,
} as const;

export type RescaleRefusal = keyof typeof RESCALE_REFUSALS;

/** The InputError refusing a re-scale at `where` (the field, flag or setting that asked). */
export function refuseRescale(where: string, why: RescaleRefusal): InputError {
  return new InputError(where, RESCALE_REFUSALS[why]);
}

/** The factors a scale sweep measures, in order: the canonical ones, then the grid. */
export function sweepFactors(dK: number | undefined, grid: readonly number[]): { factor: number; label: SweepLabel }[] {
  return [...canonicalFactors(dK), ...grid.map((factor) => ({ factor, label: 'grid' as const }))];
}
