// What the lines above a view are. The host sends them as one list (Overview.warnings): the seeded-
// model notice of text inputs, a tensor file's detection notes (how its axes and meaning were read,
// the batch entry, the padding), the long-sequence overview note, and real warnings (rows that do not
// sum to 1, masked-out rows…). Reading notes as warnings put an orange ⚠ paragraph on every normal
// file, so the panel sorts them here by the wording of the host's own sentences; anything not
// recognised stays a warning, so a new warning is never hidden.

export type NoticeKind = 'model' | 'detection' | 'info' | 'warning';

export interface Notice {
  readonly kind: NoticeKind;
  readonly text: string;
}

export interface SortedNotices {
  /** The seeded random model's notice (text inputs): always the first line. */
  readonly model: string[];
  /** "read as [layers, heads, q, k] weights", from the detection note (null when there is none). */
  readonly detected: string | null;
  /** Detection reasoning and other neutral notes, shown behind a disclosure or as neutral lines. */
  readonly details: string[];
  readonly warnings: string[];
}

const MODEL = /^seeded random model\b/i;
// src/core/tensorfiles/layout.ts: "…, read as [layers, heads, queries, keys] (…)", then
// src/host/tensorFileSource.ts: "… Read as weights: <evidence>".
const AXES = /\bread as \[([^\]]+)\]/;
const MEANING = /\bRead as (weights|scores|queries\/keys\/values|[a-z]+):/;
// src/host/modelSource.ts: "Model NAME (ARCHITECTURE): L layers × H heads, head size d. Scores are…".
const REAL_MODEL = /^Model (\S+) \(([^)]+)\): (\d+) layers × (\d+) heads\b/;
const INFO = [
  /^Grouped-query attention: /,
  /^Sliding window: /,
  /^Batch entry \d+ of \d+ is shown/,
  /^The \w+ attention is shown/,
  /^Padding: /,
  /^\d+ tokens: more than \d+, so each cell is a block/,
];

export function classifyNotice(text: string): Notice {
  if (MODEL.test(text)) return { kind: 'model', text };
  if ((AXES.test(text) && MEANING.test(text)) || REAL_MODEL.test(text)) return { kind: 'detection', text };
  if (INFO.some((r) => r.test(text))) return { kind: 'info', text };
  return { kind: 'warning', text };
}

export function sortNotices(lines: readonly string[]): SortedNotices {
  const model: string[] = [];
  const details: string[] = [];
  const warnings: string[] = [];
  let detected: string | null = null;
  for (const line of lines) {
    const n = classifyNotice(line);
    if (n.kind === 'model') model.push(n.text);
    else if (n.kind === 'warning') warnings.push(n.text);
    else {
      if (n.kind === 'detection' && detected === null) detected = detectedSummary(n.text);
      details.push(n.text);
    }
  }
  return { model, detected, details, warnings };
}

/** "read as [layers, heads, queries, keys] weights" from a detection note; "tiny/llama (LlamaForCausalLM), 2 layers × 4 heads" from a real model's. */
export function detectedSummary(text: string): string {
  const model = REAL_MODEL.exec(text);
  if (model) return `${model[1]} (${model[2]}), ${model[3]} layers × ${model[4]} heads`;
  const axes = AXES.exec(text)?.[1] ?? '';
  const meaning = MEANING.exec(text)?.[1] ?? '';
  return `read as [${axes}]${meaning ? ` ${meaning}` : ''}`;
}
