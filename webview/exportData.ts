// The shown matrix as files: CSV (one row per query, one column per key, RFC 4180 quoting) and
// JSON (tokens, settings, scores and weights with null where masked). Numbers are written in plain
// ASCII with the fewest digits that read back to the same float32.

export interface ShownMatrix {
  readonly title: string;
  readonly layer: number;
  readonly head: number | 'mean';
  readonly mask: string;
  readonly factor: number | null;
  readonly tokens: readonly string[];
  readonly keyTokens: readonly string[];
  readonly n: number;
  readonly m: number;
  /** Scaled scores (dots·factor); null for exported weights. */
  readonly scores: Float32Array | null;
  readonly weights: Float32Array;
  readonly allowed: Uint8Array | null;
}

/** The shortest decimal that is the same float32 (0.1f → "0.1"). */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (v === 0) return '0';
  const f = Math.fround(v);
  for (let digits = 1; digits <= 9; digits++) {
    const s = f.toPrecision(digits);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/**
 * A CSV field: quoted when it holds a comma, quote or line break; a leading = + - @ (or tab/CR) is
 * prefixed with ' so a spreadsheet shows a token such as "=SUM(A1)" as text instead of running it.
 */
export function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function matrixCsv(shown: ShownMatrix, which: 'weights' | 'scores'): string {
  const values = which === 'weights' ? shown.weights : shown.scores;
  if (!values) throw new RangeError('this input has no scores (it is exported weights)');
  const lines = [[csvField('query \\ key'), ...shown.keyTokens.map(csvField)].join(',')];
  for (let i = 0; i < shown.n; i++) {
    const cells = [csvField(shown.tokens[i])];
    for (let j = 0; j < shown.m; j++) {
      const k = i * shown.m + j;
      const masked = shown.allowed !== null && shown.allowed[k] === 0;
      cells.push(masked && which === 'scores' ? '' : float32Text(values[k]));
    }
    lines.push(cells.join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

function rows(values: Float32Array, shown: ShownMatrix, nullMasked: boolean): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (let i = 0; i < shown.n; i++) {
    const r: (number | null)[] = [];
    for (let j = 0; j < shown.m; j++) {
      const k = i * shown.m + j;
      r.push(nullMasked && shown.allowed !== null && shown.allowed[k] === 0 ? null : Number(float32Text(values[k])));
    }
    out.push(r);
  }
  return out;
}

export function matrixJson(shown: ShownMatrix): string {
  return JSON.stringify(
    {
      title: shown.title,
      layer: shown.layer,
      head: shown.head,
      mask: shown.mask,
      factor: shown.factor,
      tokens: shown.tokens,
      keyTokens: shown.keyTokens,
      scores: shown.scores ? rows(shown.scores, shown, true) : null,
      weights: rows(shown.weights, shown, false),
    },
    null,
    1,
  );
}

/** A file name from parts: letters, digits, dots and dashes only. */
export function fileName(parts: (string | number)[], extension: string): string {
  const stem =
    parts
      .map((p) =>
        String(p)
          .replace(/[^A-Za-z0-9.-]+/g, '-')
          .replace(/^-+|-+$/g, ''),
      )
      .filter(Boolean)
      .join('-') || 'attention';
  return `${stem.slice(0, 120)}.${extension}`;
}
