// What a text input's panel says about where its numbers come from. Text is embedded and projected
// by a seeded random model (src/core/text.ts), not a trained one: its patterns are those of random
// weights, so the panel must say so before anyone reads them as a finding about the text. One
// function, so the model picker (another change) can replace the wording in one place.
import type { Overview } from '../protocol/messages';
import type { InspectionSource } from './source';

export function textModelNotice(): string {
  return 'seeded random model: pick a real model for real attention (these weights come from a fixed seed, not training, so the patterns say nothing about this text)';
}

/** `source` with `notices` first among its overview's warnings (the lines the panel shows above the view). */
export function withNotices(source: InspectionSource, notices: readonly string[]): InspectionSource {
  if (notices.length === 0) return source;
  const noted = (o: Overview): Overview => ({ ...o, warnings: [...notices, ...o.warnings] });
  return {
    overview: async (mask) => noted(await source.overview(mask)),
    head: (layer, head, options) => source.head(layer, head, options),
    thumbnails: source.thumbnails ? (size, mask) => source.thumbnails!(size, mask) : undefined,
    variance: source.variance ? () => source.variance!() : undefined,
    region: source.region ? (params) => source.region!(params) : undefined,
    // A getter: a source still opening (pendingSource.ts) learns its spec later.
    get spec() {
      return source.spec;
    },
  };
}
