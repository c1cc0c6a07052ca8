// Webview entry (browser bundle). The panel is built on top of this in its own issue.
document.body.dataset.ready = '1';
