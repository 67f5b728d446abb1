// Sends many requests at once over a bounded pool of keep-alive sockets, as a storm of
// alerts from Falcosidekick (or several) would arrive.
import http from 'node:http';
import { readAnswer } from '../net/http.ts';

export interface BurstAnswer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

export async function burst(url: string, bodies: string[], sockets = 100): Promise<BurstAnswer[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const target = new URL(url);
  try {
    return await Promise.all(
      bodies.map(
        (body) =>
          new Promise<BurstAnswer>((resolve, reject) => {
            const request = http.request(
              {
                host: target.hostname,
                port: target.port,
                path: '/',
                method: 'POST',
                agent,
                headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
              },
              (response) =>
                readAnswer(response).then(
                  (answer) =>
                    resolve({ status: answer.status, retryAfter: answer.headers['retry-after'] as string | undefined, body: answer.body }),
                  reject,
                ),
            );
            request.on('error', reject);
            request.end(body);
          }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

/** Status → count, for assertions and messages. */
export function tally(answers: BurstAnswer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

/** Every answer is 2xx, or 429/503 with a Retry-After: nothing else, nothing dropped. */
export function onlyAcceptableAnswers(answers: BurstAnswer[]): boolean {
  return answers.every(
    (a) => (a.status >= 200 && a.status < 300) || ((a.status === 429 || a.status === 503) && a.retryAfter !== undefined),
  );
}
