// One POST: without keep-alive by default (the cold-start poller), or on a given keep-alive agent.
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
