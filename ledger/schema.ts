import type { Migration } from '../core/sqlite.ts';

/** Refuses UPDATE and DELETE on a journal table, so history can only grow. */
function appendOnly(table: string): string {
  return `
    CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;
    CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;`;
}

/**
 * The per-bot ledger schema. Money and quantities are canonical decimal TEXT (Decimal.toString()), never REAL,
 * so every digit the venue sent is kept. Times are integer milliseconds since the Unix epoch.
 */
export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: `
      CREATE TABLE meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        bot_id TEXT NOT NULL,
        epoch TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- The sequence is the rowid, so recording an order touches two b-trees, not three.
      CREATE TABLE orders (
        sequence INTEGER PRIMARY KEY CHECK (sequence > 0),
        client_order_id TEXT NOT NULL UNIQUE,
        bot TEXT NOT NULL,
        sub_account TEXT NOT NULL,
        intent_id TEXT NOT NULL,
        instrument TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('ENTRY', 'STOP', 'TAKE_PROFIT', 'CLOSE')),
        side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
        type TEXT NOT NULL CHECK (type IN ('MARKET', 'LIMIT', 'STOP_MARKET')),
        quantity TEXT NOT NULL,
        limit_price TEXT,
        trigger_price TEXT,
        time_in_force TEXT NOT NULL CHECK (time_in_force IN ('GTC', 'IOC')),
        reduce_only INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
        parent_client_order_id TEXT,
        activates_on_parent_fill INTEGER NOT NULL CHECK (activates_on_parent_fill IN (0, 1)),
        created_at INTEGER NOT NULL
      ) STRICT;
      ${appendOnly('orders')}

      -- sequence is the order fills were applied in, which realized PnL depends on; leaves_quantity is what the venue
      -- said was left of the order after this fill. Fills are not repeated in order_events: see sqlite-ledger.ts.
      CREATE TABLE fills (
        trade_id TEXT PRIMARY KEY,
        sequence INTEGER NOT NULL,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        instrument TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
        quantity TEXT NOT NULL,
        price TEXT NOT NULL,
        fee TEXT NOT NULL,
        liquidity TEXT NOT NULL CHECK (liquidity IN ('MAKER', 'TAKER')),
        leaves_quantity TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      ${appendOnly('fills')}

      -- Every non-fill report that changed an order, in the order applied.
      CREATE TABLE order_events (
        id INTEGER PRIMARY KEY,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        type TEXT NOT NULL CHECK (type IN ('ORDER_ACCEPTED', 'ORDER_REJECTED', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'CANCEL_REJECTED')),
        venue_order_id TEXT,
        detail TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      ${appendOnly('order_events')}

      -- A cache of the fold of fills per instrument, written in the fill's transaction and checked on every open.
      CREATE TABLE positions (
        instrument TEXT PRIMARY KEY,
        quantity TEXT NOT NULL,
        cost_basis TEXT NOT NULL,
        realized_pnl TEXT NOT NULL,
        fees TEXT NOT NULL,
        entry_orders INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE capital (
        id INTEGER PRIMARY KEY,
        amount TEXT NOT NULL,
        at INTEGER NOT NULL,
        note TEXT NOT NULL
      ) STRICT;
      ${appendOnly('capital')}

      CREATE TABLE equity_snapshots (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        balance TEXT NOT NULL,
        unrealized_pnl TEXT NOT NULL,
        equity TEXT NOT NULL
      ) STRICT;
      CREATE INDEX equity_snapshots_by_time ON equity_snapshots (at);
    `,
  },
  {
    // Venues amend orders (a reduce-only order cut to its shrunken position, or an amend on request): the event
    // carries what the order became. SQLite cannot widen a CHECK in place, so the table is rebuilt, rows kept.
    version: 2,
    statements: `
      CREATE TABLE order_events_v2 (
        id INTEGER PRIMARY KEY,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        type TEXT NOT NULL CHECK (type IN ('ORDER_ACCEPTED', 'ORDER_REJECTED', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'CANCEL_REJECTED', 'ORDER_AMENDED', 'AMEND_REJECTED')),
        venue_order_id TEXT,
        detail TEXT NOT NULL,
        at INTEGER NOT NULL,
        -- For ORDER_AMENDED only: the order's new total quantity (filled part included), limit and trigger.
        quantity TEXT,
        limit_price TEXT,
        trigger_price TEXT,
        CHECK ((type = 'ORDER_AMENDED') = (quantity IS NOT NULL))
      ) STRICT;
      INSERT INTO order_events_v2 (id, client_order_id, type, venue_order_id, detail, at)
        SELECT id, client_order_id, type, venue_order_id, detail, at FROM order_events;
      DROP TABLE order_events;
      ALTER TABLE order_events_v2 RENAME TO order_events;
      ${appendOnly('order_events')}
    `,
  },
  {
    // Approvals beside their orders, and stop replacements until the venue accepts them.
    version: 3,
    statements: `
      -- An approval's decision, committed in the same transaction as its orders: a crash can never leave an order
      -- without the decision that made it. Only the recent ones are kept; the supervisor store keeps them all.
      -- intent_id carries no index: the supervisor store already refuses a second decision for an intent, and an
      -- index here cost every approval another page write (a ledger first made with the index keeps it, harmlessly).
      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        intent_id TEXT NOT NULL,
        instrument TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        detail TEXT NOT NULL,
        requested_quantity TEXT,
        approved_quantity TEXT,
        client_order_id TEXT,
        decided_at INTEGER NOT NULL,
        latency_ns INTEGER NOT NULL,
        intent_json TEXT NOT NULL
      ) STRICT;

      -- A stop sent to replace another: the old one is cancelled only once the venue has accepted this one.
      CREATE TABLE replacements (
        replacement TEXT PRIMARY KEY REFERENCES orders (client_order_id),
        replaced TEXT NOT NULL REFERENCES orders (client_order_id)
      ) STRICT;
      ${appendOnly('replacements')}
    `,
  },
  {
    // Where the ledger stands in each venue's listing of fills: reconciliation asks for what came after it.
    version: 4,
    statements: `
      CREATE TABLE venue_cursors (
        venue TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    // Perpetual funding, an entry kind of its own: cash that moves with no order, no fill and no position change.
    // Keyed by the venue's id of the payment, so a payment reported twice (a replay, a reconciliation) counts once.
    version: 5,
    statements: `
      CREATE TABLE funding (
        funding_id TEXT PRIMARY KEY,
        sequence INTEGER NOT NULL UNIQUE,
        instrument TEXT NOT NULL,
        -- Signed quote currency: positive received, negative paid.
        amount TEXT NOT NULL,
        rate TEXT NOT NULL,
        position_quantity TEXT NOT NULL,
        mark_price TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      ${appendOnly('funding')}
    `,
  },
  {
    // A stop moved by amending it in place: the request is recorded before the venue is asked, and its outcome once
    // known, so a crash in between is settled from what the venue holds and never by asking again.
    version: 6,
    statements: `
      CREATE TABLE stop_amendments (
        id INTEGER PRIMARY KEY,
        intent_id TEXT NOT NULL UNIQUE,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        trigger_price TEXT NOT NULL,
        requested_at INTEGER NOT NULL
      ) STRICT;
      ${appendOnly('stop_amendments')}

      CREATE TABLE stop_amendment_outcomes (
        amendment INTEGER PRIMARY KEY REFERENCES stop_amendments (id),
        outcome TEXT NOT NULL CHECK (outcome IN ('AMENDED', 'FAILED')),
        detail TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      ${appendOnly('stop_amendment_outcomes')}
    `,
  },
];
