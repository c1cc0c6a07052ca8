// The Hugging Face cache of the machine the extension host runs on (also a remote host), listed for
// the Choose Model picker and the Models view: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
import { homedir } from 'node:os';
import { type CachedModel, hubCacheDir, listCachedModels } from '../core/models/cache';
import { NodeCacheListing } from './models/cacheListing';

export async function listHubModels(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ hubDir: string; models: CachedModel[] }> {
  const hubDir = hubCacheDir(env, homedir());
  return { hubDir, models: await listCachedModels(new NodeCacheListing(), hubDir) };
}
