// Models already in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub), each listed with its architecture, size and whether the engine runs it.
// The cache holds models--ORG--NAME/refs/main (the revision) and snapshots/REV/ (the files, as links
// into blobs/). Pure over a small listing interface, so node and workspace.fs can both supply it.
import { parseModelConfig } from './config';
import type { ModelFolder } from './folder';
import { WeightStore } from './weights';
import { oneLineMessage } from '../errors';

export interface CacheListing {
  /** Entry names of a directory, or null when it does not exist. */
  list(dir: string): Promise<string[] | null>;
  readText(path: string): Promise<string | null>;
  /** A model folder over a snapshot directory. */
  folder(dir: string): Promise<ModelFolder>;
  join(...parts: string[]): string;
}

export interface CachedModel {
  /** ORG/NAME as on the hub. */
  readonly id: string;
  readonly revision: string;
  readonly path: string;
  readonly architecture: string | null;
  readonly supported: boolean;
  /** Why it cannot run, when it cannot. */
  readonly reason: string | null;
  readonly parameters: number | null;
  readonly bytes: number | null;
  readonly dtypes: Record<string, number> | null;
}

/** The hub cache directory from the environment, as huggingface_hub resolves it. */
export function hubCacheDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return `${env.HF_HOME.replace(/[\\/]+$/, '')}/hub`;
  if (env.XDG_CACHE_HOME) return `${env.XDG_CACHE_HOME.replace(/[\\/]+$/, '')}/huggingface/hub`;
  return `${home.replace(/[\\/]+$/, '')}/.cache/huggingface/hub`;
}

/** "models--Qwen--Qwen2.5-0.5B" → "Qwen/Qwen2.5-0.5B"; null for datasets, spaces and other entries. */
export function repoIdFromCacheName(name: string): string | null {
  if (!name.startsWith('models--')) return null;
  const parts = name.slice('models--'.length).split('--');
  return parts.every((p) => p.length > 0) ? parts.join('/') : null;
}

/** Every model snapshot in the cache (refs/main's revision first when there are several), sorted by id. */
export async function listCachedModels(listing: CacheListing, hubDir: string): Promise<CachedModel[]> {
  const entries = (await listing.list(hubDir)) ?? [];
  const out: CachedModel[] = [];
  for (const name of entries.sort()) {
    const id = repoIdFromCacheName(name);
    if (!id) continue;
    const repo = listing.join(hubDir, name);
    const main = (await listing.readText(listing.join(repo, 'refs', 'main')))?.trim() ?? null;
    const snapshots = (await listing.list(listing.join(repo, 'snapshots'))) ?? [];
    const ordered =
      main && snapshots.includes(main) ? [main, ...snapshots.filter((s) => s !== main).sort()] : snapshots.sort();
    for (const revision of ordered)
      out.push(await describeSnapshot(listing, id, revision, listing.join(repo, 'snapshots', revision)));
  }
  return out;
}

async function describeSnapshot(
  listing: CacheListing,
  id: string,
  revision: string,
  path: string,
): Promise<CachedModel> {
  const base = { id, revision, path, parameters: null, bytes: null, dtypes: null };
  const configText = await listing.readText(listing.join(path, 'config.json'));
  if (configText === null)
    return { ...base, architecture: null, supported: false, reason: 'no config.json in this snapshot' };
  let architecture: string | null = null;
  try {
    const archs = (JSON.parse(configText) as { architectures?: unknown }).architectures;
    if (Array.isArray(archs) && typeof archs[0] === 'string') architecture = archs[0];
  } catch {
    return { ...base, architecture, supported: false, reason: 'config.json is not valid JSON' };
  }
  try {
    const config = parseModelConfig(`${path}/config.json`, configText);
    architecture = config.architecture;
  } catch (e) {
    return { ...base, architecture, supported: false, reason: oneLineMessage(e) };
  }
  const folder = await listing.folder(path);
  try {
    const weights = await WeightStore.open(folder);
    const s = weights.summary();
    const tokenizer = await folder.readText('tokenizer.json');
    return {
      ...base,
      architecture,
      supported: tokenizer !== null,
      reason: tokenizer === null ? 'no tokenizer.json (ids would have to be given)' : null,
      parameters: s.parameters,
      bytes: s.bytes,
      dtypes: s.dtypes,
    };
  } catch (e) {
    return { ...base, architecture, supported: false, reason: oneLineMessage(e) };
  } finally {
    await folder.close();
  }
}
