/** What a feature needs to know of safe mode (firmware/safe-mode): is it on, and when does it end. */
export interface SafeModeView {
  /** The box runs in safe mode: amps muted and off, capture and recording stopped. */
  readonly active: boolean;
  /** Starts in a row after a run that did not end cleanly. */
  readonly uncleanStarts: number;
  /** ROOMBOX_SAFE_MODE_AFTER (0: never). */
  readonly after: number;
  /** Runs `fn` when safe mode ends, before the extensions that waited for it start. */
  onLeave(fn: () => Promise<void> | void): void;
  /** Called whenever `active` or `uncleanStarts` changes. */
  onChange(fn: () => void): void;
}
