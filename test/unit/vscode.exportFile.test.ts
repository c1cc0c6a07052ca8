// Default export names (src/vscode/exportFile.ts), fed the names the webview really builds
// (webview/exportData.ts fileName with the parts app.ts passes).
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { defaultExportName, exportFileName, partsOfWebviewName, slugOf } from '../../src/vscode/exportFile';
import { fileName } from '../../webview/exportData';

/** What webview/app.ts baseName() + a view gives for a head (the layer only when there are several). */
function webviewName(layers: number, layer: number, head: number | 'mean', view: string, ext: string): string {
  return fileName(['attention', layers > 1 ? `L${layer}` : '', head === 'mean' ? 'mean' : `H${head}`, view], ext);
}

describe('export file names', () => {
  it('names the input, layer, head and view: i-go-home.L0H2.weights.png', () => {
    assert.equal(
      exportFileName({ title: '"I go home"', layer: 0, head: 2, view: 'weights', extension: 'png' }),
      'i-go-home.L0H2.weights.png',
    );
    assert.equal(
      defaultExportName('"I go home"', webviewName(1, 0, 2, 'weights', 'png')),
      'i-go-home.L0H2.weights.png',
    );
    assert.equal(
      defaultExportName('model.safetensors', webviewName(2, 1, 3, 'scaling', 'svg')),
      'model.L1H3.scaling.svg',
    );
    assert.equal(
      defaultExportName('Café — naïve.npy', webviewName(4, 3, 'mean', 'weights', 'csv')),
      'cafe-naive.L3mean.weights.csv',
    );
  });

  it('keeps a name it does not know after the slug (the report), and never returns an empty stem', () => {
    assert.equal(defaultExportName('"Thinking Machines"', 'attention-report.html'), 'thinking-machines.report.html');
    assert.equal(slugOf('«»…'), 'attention');
    assert.equal(partsOfWebviewName('attention-report.html'), null);
  });

  it('reads back every name the webview builds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 96 }),
        fc.nat(95),
        fc.oneof(fc.nat(127), fc.constant('mean' as const)),
        fc.constantFrom('attention', 'weights', 'scaling', 'variance', 'heads'),
        fc.constantFrom('png', 'svg', 'csv', 'json'),
        (layers, l, head, view, ext) => {
          const layer = layers > 1 ? l % layers : 0;
          assert.deepEqual(partsOfWebviewName(webviewName(layers, layer, head, view, ext)), {
            layer,
            head,
            view,
            extension: ext,
          });
        },
      ),
    );
  });

  it('slugs are plain lower-case file names of at most 60 characters (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (title) => {
        const slug = slugOf(title);
        assert.match(slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
        assert.ok(slug.length <= 60);
      }),
    );
  });
});
