import { join } from 'node:path';
import type { Clock } from '../../../core/clock.ts';
import type { BotId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { Venue } from '../../../core/venue.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import type { Ledger } from '../../../ledger/types.ts';
import type { OrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import type { OrderManagerEvent } from '../../../supervisor/order-manager/order-manager.ts';
import { OrderManager } from '../../../supervisor/order-manager/order-manager.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';
import { ALPHA, STARTING_EQUITY } from './fixture.ts';

/** One supervisor run on the files in `dir`: the bots' ledgers, the store, and the order manager over `venue`. */
export class Run {
  readonly ledgers = new Map<BotId, Ledger>();
  readonly store: SupervisorStore;
  readonly om: OrderManager;
  readonly events: OrderManagerEvent[] = [];
  readonly #waiters: Array<() => void> = [];

  constructor(dir: string, config: OrderManagerConfig, venue: Venue, clock: Clock) {
    this.store = new SupervisorStore(join(dir, 'supervisor.sqlite'));
    for (const botId of config.bots.keys()) {
      const ledger = openLedger({ path: join(dir, `${botId}.ledger.sqlite`), botId, clock });
      if (ledger.capital().isZero()) ledger.recordCapital(STARTING_EQUITY, clock.now(), 'deposit');
      this.ledgers.set(botId, ledger);
    }
    this.om = new OrderManager({ config, store: this.store, ledgers: this.ledgers, venues: new Map([[venue.name, venue]]), clock, logger: silentLogger });
    this.om.onEvent((event) => {
      this.events.push(event);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  get ledger(): Ledger {
    return this.ledgers.get(ALPHA)!;
  }

  /** Resolves once `match` holds, checked after every order-manager event. */
  async until(match: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!match()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.om.close();
    for (const ledger of this.ledgers.values()) ledger.close();
    this.store.close();
  }
}

