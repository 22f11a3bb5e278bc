/** Where progress goes; only a terminal gets a bar, so logs and pipes stay clean. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  /** `suffix` follows the candle count, e.g. ", 3/16 runs". */
  update(done: number, total: number, suffix?: string): void;
  /** Ends the bar's line, whatever the last update was. */
  finish(): void;
}

const WIDTH = 30;

/** A one-line bar redrawn in place with a carriage return; null when the sink is not a terminal. */
export function progressBar(sink: ProgressSink, label: string): Progress | null {
  if (sink.isTTY !== true) return null;
  let drawn = -1;
  let drawnSuffix = '';
  return {
    update(done, total, suffix = '') {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const percent = Math.floor(fraction * 100);
      if (percent === drawn && suffix === drawnSuffix) return;
      drawn = percent;
      drawnSuffix = suffix;
      const filled = Math.round(fraction * WIDTH);
      sink.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} candles${suffix}`);
    },
    finish() {
      if (drawn >= 0) sink.write('\n');
      drawn = -1;
    },
  };
}
