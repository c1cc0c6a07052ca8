// The slider's marked factors, named as the toolbar shows them. The factors themselves come from
// the core (canonicalFactors in src/core/sharpness.ts), so the panel and the host cannot disagree.
import { canonicalFactors } from '../src/core/sharpness';

const MARK_LABELS = { unscaled: '1', sqrt: '1/√d_k', linear: '1/d_k', grid: '' } as const;

export interface FactorMark {
  readonly f: number;
  readonly label: string;
}

/** 1, 1/√d_k and 1/d_k (only 1 when d_k is unknown). */
export function factorMarks(dK: number | null): FactorMark[] {
  return canonicalFactors(dK ?? undefined).map((c) => ({ f: c.factor, label: MARK_LABELS[c.label] }));
}
