// The panel's HTML: a strict CSP, escaped values, and a report page that cannot be broken out of.
import * as assert from 'node:assert/strict';
import {
  buildPanelHtml,
  buildReportHtml,
  inlineJsonText,
  inlineScriptText,
  makeNonce,
  panelCsp,
  reportCsp,
} from '../../src/host/html';

describe('host: panel and report HTML', () => {
  it('builds the panel with a nonce-only CSP and no eval', () => {
    const html = buildPanelHtml({
      cspSource: 'https://x.vscode-cdn.net',
      nonce: 'abc123',
      scriptUri: 'https://x/dist/webview.js',
      styleUri: 'https://x/dist/webview.css',
      title: '<b>t</b>',
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'/);
    assert.match(csp, /style-src https:\/\/x.vscode-cdn.net 'nonce-abc123'/);
    assert.match(csp, /img-src https:\/\/x.vscode-cdn.net blob: data:/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|\*/);
    assert.match(html, /<script nonce="abc123" src="https:\/\/x\/dist\/webview.js"><\/script>/);
    assert.match(html, /<title>&lt;b&gt;t&lt;\/b&gt;<\/title>/);
    assert.doesNotMatch(html, / on[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(html, / style=/i, 'no inline style attributes');
  });

  it('can carry its script and stylesheet inline, under the same nonce and CSP', () => {
    const html = buildPanelHtml({
      cspSource: 'https://x.vscode-cdn.net',
      nonce: 'abc123',
      scriptUri: 'https://x/dist/webview.js',
      styleUri: 'https://x/dist/webview.css',
      inline: {
        script: 'const s = "</script><!--";\n//# sourceMappingURL=webview.js.map\n',
        style: 'a::after { content: "</style>"; }',
      },
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(html, /webview\.(js|css)"/, 'no file is fetched');
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script nonce="abc123">']);
    // The literal cannot end the element early; the parser sees one script and one style.
    assert.equal(html.split('</script>').length, 2);
    assert.equal(html.split('</style>').length, 2);
    assert.match(html, /<style nonce="abc123">a::after/);
    assert.doesNotMatch(html, /sourceMappingURL/);
  });

  it('refuses CSP sources that could add directives', () => {
    assert.throws(() => panelCsp("x; script-src 'unsafe-eval'", 'n'), /cspSource/);
    assert.throws(() => reportCsp("n' 'unsafe-inline"), /nonce/);
  });

  it('makes fresh, url-safe nonces', () => {
    const a = makeNonce(),
      b = makeNonce();
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{32}$/);
  });

  it('escapes what could end an inline script', () => {
    assert.equal(
      inlineScriptText('a("</script><!--")\n//# sourceMappingURL=webview.js.map\n'),
      'a("\\x3C/script>\\x3C!--")\n',
    );
    assert.equal(
      inlineJsonText({ t: '</script><img src=x onerror=alert(1)>' }),
      '{"t":"\\u003c/script>\\u003cimg src=x onerror=alert(1)>"}',
    );
    assert.deepEqual(JSON.parse(inlineJsonText({ t: '</script>\u2028' })), { t: '</script>\u2028' });
  });

  it('inlines the bundle, the styles and the input into one offline page', () => {
    const html = buildReportHtml({
      script: 'boot()',
      style: 'body{}</style><script>',
      spec: { kind: 'text', text: '</script><script>alert(1)</script>' },
      nonce: 'n0nce',
    });
    assert.match(
      html,
      /content="default-src 'none'; script-src 'nonce-n0nce'; style-src 'nonce-n0nce'; img-src blob: data:/,
    );
    assert.equal(html.match(/<script (type|nonce)=/g)?.length, 2, 'only the data and the bundle');
    assert.equal(html.match(/<\/script>/g)?.length, 2, 'the input cannot close its script element');
    assert.match(html, /<style nonce="n0nce">body\{\}<\\\/style><script><\/style>/);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing loads from the network');
  });
});
