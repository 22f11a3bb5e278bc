import { parseArgs } from 'node:util';
import type { Benchmark, Figure } from './harness.ts';
import { backtestBenchmarks } from './backtest.bench.ts';
import { fleetBenchmarks } from './fleet.bench.ts';
import { ledgerBenchmark } from './ledger.bench.ts';
import { liveBenchmarks } from './live.bench.ts';
import { orderManagerBenchmark } from './order-manager.bench.ts';
import { storageBenchmarks } from './storage.bench.ts';
import { venueBenchmarks } from './venue.bench.ts';
import { alpacaVenueBenchmarks } from './venue-alpaca.bench.ts';
import { venueCcxtBenchmarks } from './venue-ccxt.bench.ts';

const benchmarks: Benchmark[] = [orderManagerBenchmark, ledgerBenchmark, ...backtestBenchmarks, ...fleetBenchmarks, ...storageBenchmarks, ...venueBenchmarks, ...alpacaVenueBenchmarks, ...venueCcxtBenchmarks, ...liveBenchmarks];

const { values, positionals } = parseArgs({ options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
const selected = positionals.length === 0 ? benchmarks : benchmarks.filter((bench) => positionals.some((prefix) => bench.name.startsWith(prefix)));
if (selected.length === 0) {
  console.error(`no benchmark matches ${positionals.join(', ')}; known: ${benchmarks.map((bench) => bench.name).join(', ')}`);
  process.exit(2);
}

function print(figure: Figure): void {
  if (values.json) console.log(JSON.stringify(figure));
  else console.log(`${figure.name.padEnd(36)} ${String(figure.value).padStart(14)} ${figure.unit}`);
}

for (const bench of selected) {
  for (const figure of await bench.run()) print(figure);
}
