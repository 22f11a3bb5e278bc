import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { MarketSession } from '../../core/market-session.ts';

/**
 * The US equity session as Alpaca's own clock tells it (GET /v2/clock: is_open, next_open, next_close and the
 * venue's time), asked at start and every `pollMs` after. Between two answers the venue's time is the local clock
 * moved by the offset seen at the last answer, so a close or an open the last answer announced is honoured on time.
 * Until the first answer, the session is unknown and closed: fail closed.
 */

export interface VenueClockReading {
  timestamp: number;
  isOpen: boolean;
  nextOpen: number;
  nextClose: number;
}

export interface AlpacaSessionClockOptions {
  name: string;
  /** GET /v2/clock with any of the venue's key pairs. */
  read: () => Promise<VenueClockReading>;
  clock: Clock;
  pollMs: number;
  logger: Logger;
}

interface Reading extends VenueClockReading {
  /** Local time when the answer came. */
  localAt: number;
}

export class AlpacaSessionClock implements MarketSession {
  readonly name: string;
  readonly #options: AlpacaSessionClockOptions;
  #reading: Reading | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #failing = false;

  constructor(options: AlpacaSessionClockOptions) {
    this.name = `${options.name} session`;
    this.#options = options;
  }

  isOpen(t: number): boolean {
    const reading = this.#reading;
    if (reading === null) return false;
    const venueNow = reading.timestamp + (t - reading.localAt);
    return reading.isOpen ? venueNow < reading.nextClose : venueNow >= reading.nextOpen;
  }

  nextOpen(t: number): number | null {
    const reading = this.#reading;
    if (reading === null) return null;
    const offset = reading.timestamp - reading.localAt;
    const venueNow = t + offset;
    return reading.nextOpen > venueNow ? reading.nextOpen - offset : null;
  }

  /** Asks once and then every pollMs, one request at a time, until stop(). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#refresh();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#refresh().finally(() => this.#schedule());
    }, this.#options.pollMs);
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    try {
      const reading = await this.#options.read();
      this.#reading = { ...reading, localAt: this.#options.clock.now() };
      if (this.#failing) this.#options.logger.info({}, 'the venue clock answers again');
      this.#failing = false;
    } catch (error) {
      // The last answer stands, moved on by the local clock; a fresh one comes with the next poll.
      if (!this.#failing) this.#options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'the venue clock did not answer; the session follows its last answer');
      this.#failing = true;
    }
  }
}
