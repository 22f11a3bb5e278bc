import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigurationError } from '../../core/errors.ts';
import { loadFleetConfig } from '../config/fleet-config.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { fleetEnvironment } from '../pm2/apps.ts';

/** The file monitoring/prometheus/prometheus.yml reads its scrape target from (file_sd: re-read without a restart). */
export const PROMETHEUS_TARGETS_FILE = join(PROJECT_ROOT, 'monitoring', 'prometheus', 'targets', 'flotilla.yml');

/** Where Prometheus on this machine reaches the supervisor's /metrics for these settings. */
export function prometheusTarget(metrics: { host: string; port: number }): string {
  if (metrics.port === 0) throw new ConfigurationError('metrics.port is 0 (any free port): Prometheus needs to know the port; set metrics.port in the fleet configuration');
  // A wildcard listens on loopback too, which is where a Prometheus on this machine finds it.
  const host = metrics.host === '0.0.0.0' ? '127.0.0.1' : metrics.host === '::' ? '::1' : metrics.host;
  return host.includes(':') ? `[${host}]:${metrics.port}` : `${host}:${metrics.port}`;
}

/** The targets file's text: one target, the supervisor's. */
export function prometheusTargetsFile(metrics: { host: string; port: number }): string {
  return [
    '# Written by `npx node supervisor/metrics/prometheus-targets.ts` from the fleet configuration (metrics.host, metrics.port).',
    `- targets: ['${prometheusTarget(metrics)}']`,
    '',
  ].join('\n');
}

if (import.meta.main) {
  // `npx node supervisor/metrics/prometheus-targets.ts [file]`: the fleet configuration as `npm start` reads it.
  const file = process.argv[2] ?? PROMETHEUS_TARGETS_FILE;
  try {
    const config = loadFleetConfig(fleetEnvironment().configPath);
    writeFileSync(file, prometheusTargetsFile(config.metrics));
    process.stdout.write(`Prometheus scrapes ${prometheusTarget(config.metrics)} (written to ${process.argv[2] ?? relative(process.cwd(), file)})\n`);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`prometheus-targets: ${error.message}\n`);
    process.exit(2);
  }
}
