import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../../core/logger.ts';
import type { FaultPlan } from '../faults.ts';
import type { PrivateBatch } from '../report-applier.ts';
import { sendJson, type Connection } from './connections.ts';

/**
 * The private topics of an authenticated connection: order, execution, position and wallet (and the .linear
 * forms of the first three), each pushed in Bybit's envelope {id, topic, creationTime, data}. A batch of pushes (one
 * engine call's changes for one UID) is where the WebSocket faults act: dropped in the middle of a fill,
 * duplicated, or reordered.
 */

export const PRIVATE_TOPICS = ['order', 'execution', 'position', 'wallet', 'order.linear', 'execution.linear', 'position.linear'] as const;
const BATCH_TOPICS = ['order', 'execution', 'position', 'wallet'] as const;

interface Push {
  connection: Connection;
  message: { id: string; topic: string; creationTime: number; data: Record<string, unknown>[] };
}

export class PrivateTopics {
  readonly #byUid = new Map<number, Set<Connection>>();
  readonly #faults: FaultPlan;
  readonly #now: () => number;
  readonly #logger: Logger;

  constructor(faults: FaultPlan, now: () => number, logger: Logger) {
    this.#faults = faults;
    this.#now = now;
    this.#logger = logger;
  }

  serves(topic: string): boolean {
    return (PRIVATE_TOPICS as readonly string[]).includes(topic);
  }

  subscribe(connection: Connection): void {
    if (connection.key === null) return;
    let set = this.#byUid.get(connection.key.uid);
    if (set === undefined) {
      set = new Set();
      this.#byUid.set(connection.key.uid, set);
    }
    set.add(connection);
  }

  closed(connection: Connection): void {
    if (connection.key !== null) this.#byUid.get(connection.key.uid)?.delete(connection);
  }

  /** Terminates every authenticated connection of a UID (or of every UID), as a dropped network would. */
  drop(uid?: number): number {
    let dropped = 0;
    for (const [owner, set] of this.#byUid) {
      if (uid !== undefined && owner !== uid) continue;
      for (const connection of [...set]) {
        connection.socket.terminate();
        dropped++;
      }
    }
    return dropped;
  }

  publish(uid: number, batch: PrivateBatch): void {
    const connections = this.#byUid.get(uid);
    // A fault fires on a fill whether or not anyone listens: what matters is what the client misses. A funding
    // settlement is an execution too, but not a fill: it never takes a fault meant for one.
    const fault = batch.execution.some((execution) => execution['execType'] === 'Trade') ? this.#faults.takeWebSocket(uid) : null;
    if (fault?.kind === 'ws-drop-mid-fill') {
      const dropped = this.drop(uid);
      this.#logger.info({ uid, dropped }, 'fault: private sockets dropped in the middle of a fill');
      return;
    }
    if (connections === undefined || connections.size === 0) return;
    let pushes: Push[] = [];
    const creationTime = this.#now();
    for (const topic of BATCH_TOPICS) {
      const data = batch[topic];
      if (data.length === 0) continue;
      for (const connection of connections) {
        for (const subscribed of [topic, `${topic}.linear`]) {
          if (!connection.topics.has(subscribed)) continue;
          pushes.push({ connection, message: { id: randomUUID(), topic: subscribed, creationTime, data } });
        }
      }
    }
    if (fault?.kind === 'ws-reorder') pushes = pushes.reverse().map((push) => ({ ...push, message: { ...push.message, data: [...push.message.data].reverse() } }));
    if (fault?.kind === 'ws-duplicate') pushes = pushes.flatMap((push) => [push, push]);
    for (const push of pushes) sendJson(push.connection, push.message);
  }
}
