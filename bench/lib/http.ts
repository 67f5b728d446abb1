// One POST: without keep-alive by default (the cold-start poller), or on a given keep-alive agent;
// and the same POST as an autocannon load.
import { request, type Agent } from 'node:http';
import { readAnswer } from '../../testbed/net/http.ts';

export interface Answer {
  status: number;
  body: string;
}

export function post(port: number, body: string, headers: Record<string, string> = {}, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => readAnswer(res).then(({ status, body: text }) => resolve({ status, body: text }), reject),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** autocannon's options for a load of the same POST on `connections` keep-alive connections (duration added by the caller). */
export function postLoad(port: number, body: string, connections: number) {
  return { url: `http://127.0.0.1:${port}/`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body, connections };
}
