// Where log lines go: stdout, written asynchronously (pino's default, so a slow log pipe does
// not stall alerts), but with a bound on what may wait in memory. pino's default buffer has
// none: with the pipe slower than the alerts (a busy node, a slow log shipper), every line —
// each carrying up to 8 KiB of an alert's output — stayed in the heap until the process died.
// Beyond the bound, lines are dropped and counted (metric); decisions, metrics and Events stand.
import pino from 'pino';

export type LogDestination = ReturnType<typeof pino.destination>;

export function boundedStdout(maxBufferedBytes: number, onDropped: () => void): LogDestination {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: maxBufferedBytes });
  destination.on('drop', onDropped);
  return destination;
}
