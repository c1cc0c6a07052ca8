// Colour maps, as 256-entry lookup tables packed for ImageData. Sequential maps for weights (0 → 1),
// diverging maps centred on 0 for scores. All are readable with the common colour-vision
// deficiencies: viridis and cividis (stops sampled every 16 entries from matplotlib's published
// tables, CC0), a grey ramp for high contrast, and blue-versus-orange/red diverging maps.

export type Rgb = readonly [number, number, number];

export type SequentialName = 'viridis' | 'cividis' | 'gray';
export type DivergingName = 'blue-dark-orange' | 'blue-white-red' | 'purple-white-orange';
export const SEQUENTIAL: readonly SequentialName[] = ['viridis', 'cividis', 'gray'];
export const DIVERGING: readonly DivergingName[] = ['blue-dark-orange', 'blue-white-red', 'purple-white-orange'];

export const COLORMAP_LABELS: Record<SequentialName | DivergingName, string> = {
  viridis: 'viridis',
  cividis: 'cividis',
  gray: 'grey (high contrast)',
  'blue-dark-orange': 'blue · dark · orange',
  'blue-white-red': 'blue · white · red',
  'purple-white-orange': 'purple · white · orange',
};

// matplotlib's viridis and cividis at entries 0, 16, 32, …, 240, 255 (values in [0, 1]).
const VIRIDIS: Rgb[] = [
  [0.267004, 0.004874, 0.329415],
  [0.282327, 0.094955, 0.417331],
  [0.278826, 0.17549, 0.483397],
  [0.258965, 0.251537, 0.524736],
  [0.229739, 0.322361, 0.545706],
  [0.19943, 0.387607, 0.554642],
  [0.172719, 0.448791, 0.557885],
  [0.149039, 0.508051, 0.55725],
  [0.127568, 0.566949, 0.550556],
  [0.120638, 0.625828, 0.533488],
  [0.157851, 0.683765, 0.501686],
  [0.24607, 0.73891, 0.452024],
  [0.369214, 0.788888, 0.382914],
  [0.515992, 0.831158, 0.294279],
  [0.678489, 0.863742, 0.189503],
  [0.845561, 0.887322, 0.099702],
  [0.993248, 0.906157, 0.143936],
];
const CIVIDIS: Rgb[] = [
  [0, 0.135112, 0.304751],
  [0, 0.178802, 0.414764],
  [0.103401, 0.220406, 0.43579],
  [0.195057, 0.264372, 0.425924],
  [0.263738, 0.307831, 0.422789],
  [0.32425, 0.351289, 0.42625],
  [0.38083, 0.395164, 0.435653],
  [0.435168, 0.439763, 0.451134],
  [0.488697, 0.485318, 0.471008],
  [0.54784, 0.531895, 0.471704],
  [0.609105, 0.579816, 0.463638],
  [0.671991, 0.629316, 0.448018],
  [0.736488, 0.680629, 0.424028],
  [0.802667, 0.733978, 0.390153],
  [0.870717, 0.789572, 0.343333],
  [0.941147, 0.84753, 0.275815],
  [0.995737, 0.909344, 0.217772],
];
/** Where the 17 stops sit on [0, 1]: entry k·16 of 256 (the last is entry 255). */
const TABLE_POSITIONS = [...Array.from({ length: 16 }, (_, k) => (k * 16) / 255), 1];

const hex = (h: string): Rgb => [
  parseInt(h.slice(1, 3), 16) / 255,
  parseInt(h.slice(3, 5), 16) / 255,
  parseInt(h.slice(5, 7), 16) / 255,
];
const even = (count: number) => Array.from({ length: count }, (_, k) => k / (count - 1));

// ColorBrewer RdBu and PuOr (11 classes), ordered from the negative end to the positive end.
const BLUE_WHITE_RED = [
  '#053061',
  '#2166ac',
  '#4393c3',
  '#92c5de',
  '#d1e5f0',
  '#f7f7f7',
  '#fddbc7',
  '#f4a582',
  '#d6604d',
  '#b2182b',
  '#67001f',
].map(hex);
const PURPLE_WHITE_ORANGE = [
  '#2d004b',
  '#542788',
  '#8073ac',
  '#b2abd2',
  '#d8daeb',
  '#f7f7f7',
  '#fee0b6',
  '#fdb863',
  '#e08214',
  '#b35806',
  '#7f3b08',
].map(hex);
// Dark-centred for dark themes: zero fades into the background, both signs brighten outwards.
const BLUE_DARK_ORANGE = [
  '#a6d4ff',
  '#5aa6ea',
  '#2f6fad',
  '#1d3b5c',
  '#2a2d31',
  '#5c3516',
  '#a55a1b',
  '#e88a2e',
  '#ffc685',
].map(hex);

const STOPS: Record<SequentialName | DivergingName, { colors: Rgb[]; positions: number[] }> = {
  viridis: { colors: VIRIDIS, positions: TABLE_POSITIONS },
  cividis: { colors: CIVIDIS, positions: TABLE_POSITIONS },
  gray: {
    colors: [
      [0.06, 0.06, 0.06],
      [0.97, 0.97, 0.97],
    ],
    positions: [0, 1],
  },
  'blue-white-red': { colors: BLUE_WHITE_RED, positions: even(11) },
  'purple-white-orange': { colors: PURPLE_WHITE_ORANGE, positions: even(11) },
  'blue-dark-orange': { colors: BLUE_DARK_ORANGE, positions: even(9) },
};

/** The colour at t ∈ [0, 1], interpolated linearly between the map's stops (sRGB, 0…1). */
export function colorAt(name: SequentialName | DivergingName, t: number): Rgb {
  const { colors, positions } = STOPS[name];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  let k = 1;
  while (k < positions.length - 1 && positions[k] < x) k++;
  const a = positions[k - 1],
    b = positions[k];
  const f = b > a ? (x - a) / (b - a) : 0;
  const c0 = colors[k - 1],
    c1 = colors[k];
  return [c0[0] + (c1[0] - c0[0]) * f, c0[1] + (c1[1] - c0[1]) * f, c0[2] + (c1[2] - c0[2]) * f];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One pixel as a Uint32 in ImageData's byte order (R, G, B, A in memory). */
export function packRgba(r: number, g: number, b: number, a = 255): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

export function unpackRgba(p: number): [number, number, number, number] {
  return LITTLE_ENDIAN
    ? [p & 255, (p >>> 8) & 255, (p >>> 16) & 255, p >>> 24]
    : [p >>> 24, (p >>> 16) & 255, (p >>> 8) & 255, p & 255];
}

export const LUT_SIZE = 256;

const lutCache = new Map<string, Uint32Array>();

/** 256 packed colours: entry k is the colour at t = k/255. */
export function lookupTable(name: SequentialName | DivergingName): Uint32Array {
  let lut = lutCache.get(name);
  if (!lut) {
    lut = new Uint32Array(LUT_SIZE);
    for (let k = 0; k < LUT_SIZE; k++) {
      const [r, g, b] = colorAt(name, k / (LUT_SIZE - 1));
      lut[k] = packRgba(Math.round(r * 255), Math.round(g * 255), Math.round(b * 255));
    }
    lutCache.set(name, lut);
  }
  return lut;
}

/**
 * How values become table entries. Sequential: lo → 0, hi → 255. Diverging: −a → 0, 0 → the
 * middle, +a → 255 (symmetric, so equal magnitudes get equally strong colours).
 */
export type ColorScale =
  | { readonly kind: 'sequential'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'diverging'; readonly absMax: number };

/** The position of v on the colour bar, in [0, 1]. */
export function scalePosition(scale: ColorScale, v: number): number {
  let t: number;
  if (scale.kind === 'sequential') t = scale.hi > scale.lo ? (v - scale.lo) / (scale.hi - scale.lo) : 0;
  else t = scale.absMax > 0 ? 0.5 + (0.5 * v) / scale.absMax : 0.5;
  return t > 0 ? (t < 1 ? t : 1) : 0; // NaN lands on 0
}

/** The table entry for v (rounded to the nearest of the 256). */
export function lutIndex(scale: ColorScale, v: number): number {
  return Math.round(scalePosition(scale, v) * (LUT_SIZE - 1));
}

/** CSS colour text for a packed pixel (legends, SVG export). */
export function cssColor(p: number): string {
  const [r, g, b] = unpackRgba(p);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Relative luminance of a packed colour (WCAG), to pick black or white text on a cell. */
export function luminance(p: number): number {
  const [r, g, b] = unpackRgba(p).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
