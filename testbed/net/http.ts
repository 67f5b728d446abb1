// The one HTTP reader: every helper that sends a request (probes, the plain API client, the
// alert senders, the bench) reads the answer through readAnswer, over http or https.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Reads a response to its end as UTF-8 text. */
export function readAnswer(response: IncomingMessage): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () =>
      done({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
    );
    response.on('error', fail);
  });
}

export interface HttpRequestOptions extends https.RequestOptions {
  body?: string | Buffer;
  /** Socket inactivity timeout; the request fails with "<method> <url>: timeout". */
  timeoutMs?: number;
}

/** One request over http or https (chosen by the URL), without keep-alive unless an agent is given. */
export function httpRequest(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const { body, timeoutMs = 5_000, ...requestOptions } = options;
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((done, fail) => {
    const request = send(target, { agent: false, ...requestOptions, timeout: timeoutMs }, (response) =>
      readAnswer(response).then(done, fail),
    );
    request.on('timeout', () => request.destroy(new Error(`${requestOptions.method ?? 'GET'} ${target.href}: timeout`)));
    request.on('error', fail);
    request.end(body);
  });
}
