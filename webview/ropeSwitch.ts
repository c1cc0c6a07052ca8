// The RoPE switch of a rotary model's panel (Overview.rotary): the scores as the model computes
// them, q·k after the rotary position encoding, or the same q and k before it, to see what the
// rotation contributes. The host answers `head` with params.rotation (src/host/modelSource.ts).
// A toolbar group (webview/elements/toolbar.ts).
import { html, type TemplateResult } from 'lit';
import type { Rotation } from '../src/protocol/messages';

const TITLES: Record<Rotation, { label: string; help: string }> = {
  applied: { label: 'after RoPE', help: 'q·k as the model computes it: queries and keys rotated by position' },
  removed: { label: 'before RoPE', help: 'the same q and k before the rotation: what position adds is gone' },
};

/** A labelled two-way control; `choose` is told the rotation picked. */
export function ropeSwitch(current: Rotation, choose: (rotation: Rotation) => void): TemplateResult {
  const changed = (e: Event): void => {
    const target = e.target as HTMLElement & { checked?: boolean; value?: string };
    if (
      target.tagName === 'VSCODE-RADIO' &&
      target.checked &&
      (target.value === 'applied' || target.value === 'removed')
    )
      choose(target.value);
  };
  return html`<div class="control" data-control="rotation">
    <span class="control-label">Scores</span>
    <vscode-radio-group aria-label="Rotary position encoding" @change=${changed}
      >${(['applied', 'removed'] as const).map(
        (r) =>
          html`<vscode-radio
            name="rotation"
            value=${r}
            label=${TITLES[r].label}
            title=${TITLES[r].help}
            .checked=${r === current}
          ></vscode-radio>`,
      )}</vscode-radio-group
    >
  </div>`;
}
