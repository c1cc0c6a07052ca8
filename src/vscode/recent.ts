// Recent inspections: what the user opened, persisted across reloads (globalState), so the sidebar
// can re-open them and a restored panel knows what it showed. Text is kept up to a cap; a file is
// kept by URI (its bytes are read again when re-opened).
import * as vscode from 'vscode';
import type { MaskWord, ScaleRule, TextModelSettings } from '../core';
import type { TensorFileRequestOptions } from '../host/openRequest';
import type { PanelTab } from '../protocol/messages';

/** An input the user inspected, in a form that survives a reload. */
export type InspectionInput =
  | {
      readonly kind: 'text';
      readonly text: string;
      /** Where the text came from, to link tokens back to the editor (absent for examples). */
      readonly document?: { readonly uri: string; readonly offset: number; readonly version?: number };
      readonly settings?: Partial<TextModelSettings>;
      readonly scale?: ScaleRule;
      readonly mask?: MaskWord;
      /** A Hugging Face model folder to run the text through (absent: the seeded random model). */
      readonly model?: string;
      /** With `model`: run the induction sequence of this many random tokens (twice) instead of the text. */
      readonly induction?: number;
    }
  | { readonly kind: 'json'; readonly uri: string; readonly scale?: ScaleRule; readonly mask?: MaskWord }
  | { readonly kind: 'tensor'; readonly uri: string; readonly options?: TensorFileRequestOptions };

export interface InspectionRecord {
  readonly id: string;
  readonly title: string;
  readonly input: InspectionInput;
  /** The tab the panel opens on (e.g. scaling for Compare Scalings). */
  readonly tab?: PanelTab;
  readonly openedAt: number;
}

const KEY = 'attentionInspector.recent';
const MAX_RECORDS = 30;
/** Longer selections are still inspected, but not remembered (globalState is not a file store). */
export const MAX_REMEMBERED_TEXT = 64 * 1024;

export class RecentInspections implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly memento: vscode.Memento) {}

  all(): InspectionRecord[] {
    return storedRecords(this.memento, KEY);
  }

  get(id: string): InspectionRecord | undefined {
    return this.all().find((r) => r.id === id);
  }

  /** Adds (or moves to the top) a record; returns false when it is too big to remember. */
  async add(record: InspectionRecord): Promise<boolean> {
    if (record.input.kind === 'text' && record.input.text.length > MAX_REMEMBERED_TEXT) return false;
    const rest = this.all().filter((r) => r.id !== record.id && !sameInput(r, record));
    await this.memento.update(KEY, [record, ...rest].slice(0, MAX_RECORDS));
    this.changed.fire();
    return true;
  }

  async remove(id: string): Promise<void> {
    await this.memento.update(
      KEY,
      this.all().filter((r) => r.id !== id),
    );
    this.changed.fire();
  }

  async clear(): Promise<void> {
    await this.memento.update(KEY, []);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function sameInput(a: InspectionRecord, b: InspectionRecord): boolean {
  return JSON.stringify(a.input) === JSON.stringify(b.input) && a.tab === b.tab;
}

/** The valid records stored under `key` (stored state is untrusted: it may be old or hand-edited). */
function storedRecords(memento: vscode.Memento, key: string): InspectionRecord[] {
  const value = memento.get<unknown>(key, []);
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function isRecord(value: unknown): value is InspectionRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const input = r.input as Record<string, unknown> | undefined;
  return (
    typeof r.id === 'string' &&
    typeof r.title === 'string' &&
    typeof input === 'object' &&
    input !== null &&
    (input.kind === 'text'
      ? typeof input.text === 'string'
      : (input.kind === 'json' || input.kind === 'tensor') && typeof input.uri === 'string')
  );
}

export function newId(): string {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/**
 * What each open panel shows, by restore key, so that the panel serializer can rebuild a panel after a
 * window reload even when the user removed it from Recent. Kept per workspace, newest first, capped.
 */
export class PanelRecords {
  private static readonly KEY = 'attentionInspector.panels';
  private static readonly MAX = 30;

  constructor(private readonly memento: vscode.Memento) {}

  get(id: string): InspectionRecord | undefined {
    return storedRecords(this.memento, PanelRecords.KEY).find((r) => r.id === id);
  }

  async remember(record: InspectionRecord): Promise<void> {
    if (record.input.kind === 'text' && record.input.text.length > MAX_REMEMBERED_TEXT) return;
    const rest = storedRecords(this.memento, PanelRecords.KEY).filter((r) => r.id !== record.id);
    await this.memento.update(PanelRecords.KEY, [record, ...rest].slice(0, PanelRecords.MAX));
  }
}
