// The last bytes of a container's log. pods/log can only cut from the front (limitBytes keeps
// the first bytes of what tailLines selected), so the tail is asked for by lines, with a byte
// cap against huge lines; when the cap was hit the ask is narrowed, so what is kept really is
// the end of the log.
import type { KubeClient } from '../k8s/kube-client.ts';

export interface LogTail {
  text: string;
  /** Why the text is not the whole log, when it is not. */
  cut?: string;
}

// A line is rarely shorter than this: tailLines = budget / it asks for enough lines.
const SHORT_LINE_BYTES = 32;
// The byte cap of a request, in multiples of the budget: room for the lines asked for.
const CAP_FACTOR = 4;
const NARROWING = 8;
const ATTEMPTS = 3;

/** The last `bytes` of `text`, starting at a line when one starts within the kept part. */
export function lastBytes(text: string, bytes: number): { text: string; droppedBytes: number } {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return { text, droppedBytes: 0 };
  let start = buffer.length - bytes;
  const newline = buffer.indexOf(0x0a, start - 1);
  if (newline >= 0 && newline < buffer.length - 1) start = newline + 1;
  // Never inside a UTF-8 sequence: continuation bytes are 10xxxxxx.
  while (start < buffer.length && (buffer[start]! & 0xc0) === 0x80) start++;
  return { text: buffer.subarray(start).toString('utf8'), droppedBytes: start };
}

export async function readLogTail(
  kube: KubeClient,
  pod: { namespace: string; name: string },
  container: string,
  options: { previous: boolean; bytes: number; signal: AbortSignal },
): Promise<LogTail> {
  const limitBytes = options.bytes * CAP_FACTOR;
  let tailLines = Math.max(16, Math.ceil(options.bytes / SHORT_LINE_BYTES));
  let text = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    text = await kube.readPodLog(pod.namespace, pod.name, container, {
      previous: options.previous,
      tailLines,
      limitBytes,
      signal: options.signal,
    });
    if (Buffer.byteLength(text) < limitBytes || tailLines === 1) break;
    tailLines = Math.max(1, Math.ceil(tailLines / NARROWING));
  }
  const capped = Buffer.byteLength(text) >= limitBytes;
  const kept = lastBytes(text, options.bytes);
  const lines = text.split('\n').length - 1;
  if (capped)
    return {
      text: kept.text,
      cut: `lines longer than ${limitBytes} bytes: kept ${Buffer.byteLength(kept.text)} bytes from within the last ${tailLines}`,
    };
  if (kept.droppedBytes > 0)
    return {
      text: kept.text,
      cut: `kept the last ${Buffer.byteLength(kept.text)} bytes (EVIDENCE_LOG_BYTES=${options.bytes}); earlier output dropped`,
    };
  if (lines >= tailLines) return { text: kept.text, cut: `kept the last ${lines} lines; earlier output not read` };
  return { text: kept.text };
}
