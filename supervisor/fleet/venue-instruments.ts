import { ConfigurationError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { VenueInstrument } from '../../core/venue.ts';

const FIELDS = ['tickSize', 'lotStep', 'minQuantity', 'minNotional'] as const;

/**
 * The fleet's catalog against what the venue publishes, before anything trades: prices and quantities are quantized
 * to the catalog, so a tick or lot that differs would send orders the venue refuses or rounds. Every difference is
 * named in one error (instrument, field, both values); an instrument the venue does not list is one too.
 */
export function checkVenueInstruments(venue: string, catalog: readonly Instrument[], listed: readonly VenueInstrument[]): void {
  const byId = new Map(listed.map((instrument) => [instrument.instrumentId, instrument]));
  const problems: string[] = [];
  for (const instrument of catalog) {
    const there = byId.get(instrument.id);
    if (there === undefined) {
      problems.push(`${instrument.id}: ${venue} does not list it (delisted, or not a ${instrument.kind} there)`);
      continue;
    }
    for (const field of FIELDS) {
      if (!instrument[field].eq(there[field])) problems.push(`${instrument.id}: ${field} is ${instrument[field].toString()} in the catalog but ${there[field].toString()} at ${venue}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`the catalog disagrees with ${venue}; correct the instruments in flotilla.config.json (a configured instrument replaces a built-in one) and start again:\n  ${problems.join('\n  ')}`);
  }
}
