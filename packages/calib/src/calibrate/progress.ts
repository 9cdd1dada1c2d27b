// How long-running calibration work reports progress. The library stays UI-agnostic: the CLI
// passes a sink that draws a bar on a terminal or prints plain lines.
export interface ProgressSink {
  /** A phase begins, with its unit of work (e.g. 'samples') and total count. */
  start(label: string, total: number, unit: string): void;
  /** `n` more units done. */
  tick(n?: number): void;
  /** The phase is over. */
  end(): void;
}

export const NO_PROGRESS: ProgressSink = { start() {}, tick() {}, end() {} };
