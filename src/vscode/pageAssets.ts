// The page's script and stylesheet as text, read once per extension host: the panel's HTML carries
// them inline (by nonce) instead of asking VS Code's webview service worker for two files, each of
// which goes through the workbench and the extension host's file system (a remote one in
// code-server) before the page can start. Until the read has finished, panels load them by URI.
import * as vscode from 'vscode';

export interface PageAssets {
  readonly script: string;
  readonly style: string;
}

let loaded: PageAssets | undefined;
let loading: Promise<PageAssets | undefined> | undefined;

/** Starts the read (at activation); a failure only means panels keep loading the files by URI. */
export function preloadPageAssets(extensionUri: vscode.Uri): Promise<PageAssets | undefined> {
  loading ??= (async () => {
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    const read = async (name: string) =>
      new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dist, name)));
    try {
      const [script, style] = await Promise.all([read('webview.js'), read('webview.css')]);
      loaded = { script, style };
    } catch {
      loaded = undefined;
    }
    return loaded;
  })();
  return loading;
}

/** The assets if already read, else undefined (and the read started). */
export function pageAssetsIfLoaded(extensionUri: vscode.Uri): PageAssets | undefined {
  void preloadPageAssets(extensionUri);
  return loaded;
}
