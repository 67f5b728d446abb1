// The dead-letter sink of knative/eventing/: one JSON line on stdout per CloudEvent that the
// Broker could not deliver after its retries, then 202. It replaces Knative's event_display,
// which prints every attribute: the shared token travels as the extension `authtoken`, and
// operators are told to read these logs. So what is logged is an allow-list of attributes and
// alert fields; nothing else of the event is ever printed.
// Plain Node, no dependencies: `make manifests` puts this file in a ConfigMap
// (knative/eventing/05-dead-letters.yaml) that the stock node image runs.
import { createServer } from 'node:http';

const BODY_LIMIT = 1024 * 1024;
const ATTRIBUTES = [
  'id',
  'source',
  'type',
  'time',
  'subject',
  'rule',
  'priority',
  'eventsource',
  'hostname',
  'knativeerrordest',
  'knativeerrorcode',
];
const ALERT_FIELDS = ['uuid', 'rule', 'priority', 'time', 'source', 'hostname', 'output'];
// The failed delivery's answer (Knative's knativeerrordata), cut short: it is what a function said.
const ERROR_DATA_LIMIT = 512;

const pick = (object, keys) => Object.fromEntries(keys.filter((key) => object?.[key] !== undefined).map((key) => [key, object[key]]));

function log(level, msg, fields = {}) {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The event's attributes and data, in either CloudEvents HTTP mode. */
function readEvent(headers, body) {
  if (String(headers['content-type'] ?? '').startsWith('application/cloudevents+json')) {
    const event = parseJson(body) ?? {};
    const data =
      event.data ??
      (typeof event.data_base64 === 'string' ? parseJson(Buffer.from(event.data_base64, 'base64').toString('utf8')) : undefined);
    return { attributes: event, data };
  }
  const attributes = {};
  for (const [name, value] of Object.entries(headers)) if (name.startsWith('ce-')) attributes[name.slice(3)] = value;
  return { attributes, data: parseJson(body) };
}

function deadLetterLine(headers, body) {
  const { attributes, data } = readEvent(headers, body);
  const errorData =
    typeof attributes.knativeerrordata === 'string'
      ? Buffer.from(attributes.knativeerrordata, 'base64').toString('utf8').slice(0, ERROR_DATA_LIMIT)
      : undefined;
  return {
    event: pick(attributes, ATTRIBUTES),
    alert: pick(data, ALERT_FIELDS),
    ...(errorData !== undefined ? { answer: errorData } : {}),
  };
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(req.url === '/healthz' ? 200 : 405).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= BODY_LIMIT) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > BODY_LIMIT) {
      log('error', 'dead letter too large to read', { bytes: size });
      res.writeHead(413).end();
      return;
    }
    log('warn', 'dead letter: an alert no retry could deliver', deadLetterLine(req.headers, Buffer.concat(chunks).toString('utf8')));
    res.writeHead(202).end();
  });
});

server.listen(Number(process.env.PORT ?? 8080), () => log('info', 'listening', { port: server.address().port }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
