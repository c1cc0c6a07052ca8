// The head catalogue: small figures per head that tell what a head does, so the heads grid can sort
// real model heads and find the previous-token, sink and induction heads. Each is a pure function
// over one head's softmax weights, a row-major n × n Float32Array (self-attention: query i, key j).
// Rows whose weights sum to 0 (a query that may see no key) are left out of every mean, because
// they carry no attention to measure; a head with no such row measures every row.
// Entropy is in nats (natural log), like the sharpness figures elsewhere (src/core/sharpness.ts).

/** Rows that carry attention (weights summing to more than 0). */
function liveRows(w: Float32Array, n: number): boolean[] {
  const live: boolean[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += w[i * n + j];
    live.push(s > 0);
  }
  return live;
}

function checkShape(w: Float32Array, n: number): void {
  if (!Number.isInteger(n) || n < 1 || w.length !== n * n)
    throw new RangeError(`head weights have ${w.length} values, not n × n = ${n} × ${n}`);
}

/** Mean over rows of a per-row figure, over the rows `include` accepts; null when no row counts. */
function meanOverRows(
  w: Float32Array,
  n: number,
  perRow: (i: number) => number,
  include: (i: number) => boolean = () => true,
): number | null {
  checkShape(w, n);
  const live = liveRows(w, n);
  let sum = 0,
    count = 0;
  for (let i = 0; i < n; i++) {
    if (!live[i] || !include(i)) continue;
    sum += perRow(i);
    count++;
  }
  return count === 0 ? null : sum / count;
}

/** Mean over rows of −Σ_j p ln p (0 ln 0 = 0). */
export function meanEntropy(w: Float32Array, n: number): number | null {
  return meanOverRows(w, n, (i) => {
    let h = 0;
    for (let j = 0; j < n; j++) {
      const p = w[i * n + j];
      if (p > 0) h -= p * Math.log(p);
    }
    return h;
  });
}

/** Mean over rows of the row's largest weight. */
export function meanLargestWeight(w: Float32Array, n: number): number | null {
  return meanOverRows(w, n, (i) => {
    let best = 0;
    for (let j = 0; j < n; j++) best = Math.max(best, w[i * n + j]);
    return best;
  });
}

/** Mean weight of a query on its own position, w[i, i]. */
export function diagonalShare(w: Float32Array, n: number): number | null {
  return meanOverRows(w, n, (i) => w[i * n + i]);
}

/** Mean weight on the previous token, w[i, i−1], over queries 1…n−1 (query 0 has none). */
export function previousTokenScore(w: Float32Array, n: number): number | null {
  return meanOverRows(
    w,
    n,
    (i) => w[i * n + i - 1],
    (i) => i >= 1,
  );
}

/**
 * The attention sink: mean weight on the first position, w[i, 0], over queries 1…n−1 (query 0 of a
 * causal head can only look at itself, which would say nothing about sinks).
 */
export function firstTokenMass(w: Float32Array, n: number): number | null {
  return meanOverRows(
    w,
    n,
    (i) => w[i * n],
    (i) => i >= 1,
  );
}

/**
 * For each query, the key an induction head attends to: the token after the previous occurrence of
 * the query's token (…A B … A → B). −1 where the token has not occurred before.
 */
export function inductionTargets(ids: readonly number[]): number[] {
  const last = new Map<number, number>();
  return ids.map((id, i) => {
    const previous = last.get(id);
    last.set(id, i);
    return previous === undefined ? -1 : previous + 1;
  });
}

/**
 * Induction score: mean weight on the induction target (inductionTargets), over the queries whose
 * token occurred before. On a random sequence repeated twice that is the whole second half. Null
 * when no token repeats.
 */
export function inductionScore(w: Float32Array, n: number, ids: readonly number[]): number | null {
  if (ids.length !== n) throw new RangeError(`${ids.length} token ids for ${n} queries`);
  const targets = inductionTargets(ids);
  return meanOverRows(
    w,
    n,
    (i) => w[i * n + targets[i]],
    (i) => targets[i] >= 0,
  );
}

export interface HeadCatalogueEntry {
  readonly meanEntropy: number | null;
  readonly meanLargestWeight: number | null;
  readonly diagonalShare: number | null;
  readonly previousTokenScore: number | null;
  readonly firstTokenMass: number | null;
  /** Null unless token ids are given and some token repeats. */
  readonly inductionScore: number | null;
}

/** Every catalogue figure of one head; `ids` (the tokens' ids) enables the induction score. */
export function catalogueEntry(w: Float32Array, n: number, ids?: readonly number[]): HeadCatalogueEntry {
  return {
    meanEntropy: meanEntropy(w, n),
    meanLargestWeight: meanLargestWeight(w, n),
    diagonalShare: diagonalShare(w, n),
    previousTokenScore: previousTokenScore(w, n),
    firstTokenMass: firstTokenMass(w, n),
    inductionScore: ids ? inductionScore(w, n, ids) : null,
  };
}
