// The shared folder: the message protocol, its validators and the cancellation error, used by the
// host (extension or report page) and the webview alike. No vscode, no node, no DOM.
export * from './messages';
export * from './validate';
export * from './methods';
export * from './rpc';
export * from './cancelled';
