import { parentPort, workerData } from 'node:worker_threads';
import { configureBot, replayable, runSetUp, setUpRun } from './backtest.ts';
import type { FromWorker, SweepRunOptions, ToWorker } from './sweep.ts';
import { fromSweepRunOptions, sweepRow } from './sweep.ts';

/**
 * One sweep worker: sets the run up once (the bot loaded, the candles read or generated, funding and the split
 * resolved), then runs the grid points it is given on a replay of the same candles, one at a time.
 */

const PROGRESS_EVERY = 65_536;
const port = parentPort;
if (port === null) throw new Error('sweep-worker.ts runs as a worker thread of a sweep');
const send = (message: FromWorker): void => port.postMessage(message);

const options = fromSweepRunOptions(workerData as SweepRunOptions);
const setup = await setUpRun(options);
const candles = replayable(setup.market);

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    port.close();
    return;
  }
  const { point, parameters } = message;
  const run = async (): Promise<void> => {
    const bot = configureBot(setup.bot, { parameters });
    let last = 0;
    const { report } = await runSetUp({ ...setup, bot }, {
      ...options,
      onProgress: (done, total) => {
        if (done - last < PROGRESS_EVERY && done < total) return;
        last = done;
        send({ type: 'progress', point, done, total });
      },
    }, candles.replay());
    send({ type: 'done', row: sweepRow(point, parameters, report) });
  };
  run().catch((error: unknown) => send({ type: 'failed', point, message: (error as Error).message }));
});
send({ type: 'ready' });
