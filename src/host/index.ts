// The vscode-free host side of the panel. The VS Code wiring needs only:
//   webview.html = buildPanelHtml({ cspSource: webview.cspSource, nonce: makeNonce(), scriptUri, styleUri });
//   const session = new PanelSession(source, (m) => webview.postMessage(m), { save, reportAssets, log, onFocusToken });
//   webview.onDidReceiveMessage((m) => session.handle(m));
// and `session.setSource(MemorySource.fromSpec({ kind: 'text', text }))` when the input changes.
// (Writing a report to disk is node's: src/node/reportFile.ts.)
export * from './source';
export * from './payload';
export * from './memorySource';
export * from './session';
export { callSource, ForwardingSource, isSourceMethod } from './sourceMethods';
export * from './html';
