// `attention-inspector report`: the built CLI writes one offline HTML page with the panel bundle and
// the input inlined; bad input keeps the CLI's error contract (exit 2, one `error:` line, no file).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_DATA_ID } from '../../src/host/html';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TMP = mkdtempSync(join(tmpdir(), 'ai-report-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function embedded(html: string): { version: number; spec: Record<string, unknown> } {
  const m = new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}" nonce="[^"]+">([^<]*)</script>`).exec(
    html,
  );
  assert.ok(m, 'the data element is there');
  return JSON.parse(m[1]);
}

describe('host: the report command', () => {
  after(() => rmSync(TMP, { recursive: true, force: true }));
  before(function () {
    if (!existsSync(CLI) || !existsSync(join(ROOT, 'dist', 'webview.js'))) this.skip();
  });

  it('writes a self-contained page for a JSON input', () => {
    const out = join(TMP, 'home.html');
    const r = run('report', join(ROOT, 'examples', 'i-go-home.json'), '-o', out);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(out, 'utf8');
    assert.deepEqual(JSON.parse(r.stdout), { report: out, bytes: Buffer.byteLength(html) });
    const data = embedded(html);
    assert.equal(data.spec.kind, 'json');
    assert.equal(data.spec.title, 'i-go-home.json');
    assert.deepEqual(JSON.parse(data.spec.json as string).tokens, ['I', 'go', 'home']);
    assert.ok(
      html.includes(readFileSync(join(ROOT, 'dist', 'webview.css'), 'utf8').slice(0, 200)),
      'the stylesheet is inlined',
    );
    const page = html.replace(/<script nonce="[^"]+">[\s\S]*<\/script>/, '<script></script>');
    assert.doesNotMatch(page, /<script[^>]* src=|<link|<img|url\(/i, 'nothing is loaded from elsewhere');
    assert.ok(!html.includes('//# sourceMappingURL=webview.js.map'), 'no source map to fetch');
  });

  it('writes a page for text with the model flags', () => {
    const out = join(TMP, 'text.html');
    const r = run(
      'report',
      '--text',
      'I go home',
      '--heads',
      '2',
      '--seed',
      '7',
      '--mask',
      'causal',
      '--title',
      'demo',
      '-o',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const { spec } = embedded(readFileSync(out, 'utf8'));
    assert.deepEqual(spec, {
      kind: 'text',
      text: 'I go home',
      settings: { heads: 2, seed: 7 },
      mask: 'causal',
      title: 'demo',
    });
  });

  const fails = (args: string[], message: RegExp) => {
    const out = join(TMP, `bad-${Math.random().toString(36).slice(2)}.html`);
    const r = run('report', ...args.map((a) => (a === 'OUT' ? out : a)));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out), 'no file written');
  };

  it('keeps the error contract', () => {
    const weights = join(TMP, 'w.json');
    writeFileSync(
      weights,
      JSON.stringify({
        attentions: [
          [1, 0],
          [0.5, 0.5],
        ],
      }),
    );
    const broken = join(TMP, 'broken.json');
    writeFileSync(broken, '{"Q": [[1, 2]], "K": [[1]], "V": [[1]]}');
    fails([join(ROOT, 'examples', 'i-go-home.json')], /^error: -o: needs the output file/);
    fails(['-o', 'OUT'], /^error: report: needs a FILE.json or --text/);
    fails(['nope.json', '-o', 'OUT'], /^error: nope.json: no such file/);
    fails([broken, '-o', 'OUT'], /^error: .*broken.json: \$\.K: expected 2 columns/);
    fails([weights, '--scale', '2', '-o', 'OUT'], /^error: --scale: .*cannot be re-scaled/);
    fails(['--text', 'hi', '--mask', 'sideways', '-o', 'OUT'], /^error: --mask: expected none, causal, anticausal/);
    fails(
      [join(ROOT, 'examples', 'i-go-home.json'), '--seed', '3', '-o', 'OUT'],
      /^error: --seed: applies to --text input only/,
    );
    fails(
      [join(ROOT, 'examples', 'i-go-home.json'), '-o', join(TMP, 'no', 'such', 'dir', 'r.html')],
      /^error: .*r.html: cannot write \(ENOENT\)/,
    );
  });
});
