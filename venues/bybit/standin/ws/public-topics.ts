import { INTERVAL_MS, INTERVALS, type Interval, type KlineUpdate } from '../kline-book.ts';
import { sendJson, type Connection } from './connections.ts';

/**
 * The public kline topics, kline.{interval}.{symbol} for 1, 5, 15, 60, 240 and D: every closed 1m candle pushes
 * each interval's kline as it stands, with confirm true only on the push that closes it.
 */

const KLINE_TOPIC = /^kline\.([0-9A-Z]+)\.([A-Z0-9]+)$/;

export class PublicTopics {
  readonly #symbols: ReadonlySet<string>;
  readonly #subscribers = new Map<string, Set<Connection>>();
  readonly #now: () => number;

  constructor(symbols: readonly string[], now: () => number) {
    this.#symbols = new Set(symbols);
    this.#now = now;
  }

  serves(topic: string): boolean {
    return topic.startsWith('kline.');
  }

  problem(topic: string): string | null {
    const match = KLINE_TOPIC.exec(topic);
    if (match === null || !(INTERVALS as readonly string[]).includes(match[1] as string)) return `error:handler not found,topic:${topic} (intervals ${INTERVALS.join(', ')})`;
    if (!this.#symbols.has(match[2] as string)) return `error:handler not found,topic:${topic} (symbol not listed)`;
    return null;
  }

  subscribe(connection: Connection, topic: string): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(topic, set);
    }
    set.add(connection);
  }

  unsubscribe(connection: Connection, topic: string): void {
    this.#subscribers.get(topic)?.delete(connection);
  }

  closed(connection: Connection): void {
    for (const set of this.#subscribers.values()) set.delete(connection);
  }

  publish(updates: readonly KlineUpdate[]): void {
    for (const update of updates) {
      const topic = `kline.${update.interval}.${update.symbol}`;
      const subscribers = this.#subscribers.get(topic);
      if (subscribers === undefined || subscribers.size === 0) continue;
      const now = this.#now();
      const { kline } = update;
      const message = {
        topic,
        data: [
          {
            start: kline.start,
            end: kline.start + INTERVAL_MS[update.interval as Interval] - 1,
            interval: update.interval,
            open: kline.open.toString(),
            close: kline.close.toString(),
            high: kline.high.toString(),
            low: kline.low.toString(),
            volume: kline.volume.toString(),
            turnover: kline.turnover.toString(),
            confirm: update.confirm,
            timestamp: now,
          },
        ],
        ts: now,
        type: 'snapshot',
      };
      for (const connection of subscribers) sendJson(connection, message);
    }
  }
}
