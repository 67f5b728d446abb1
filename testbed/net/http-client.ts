// Sends a request over a real socket with the exact header names, order and body given.
import http from 'node:http';
import { readAnswer, type HttpAnswer } from './http.ts';

export type { HttpAnswer };

export function sendRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> | string[],
  body?: string | Buffer,
): Promise<HttpAnswer> {
  const target = new URL(url);
  const rawHeaders = Array.isArray(headers) ? [...headers] : Object.entries(headers).flat();
  // Recordings leave out Host, which every HTTP/1.1 client (Go's included) sends.
  if (!rawHeaders.some((value, index) => index % 2 === 0 && value.toLowerCase() === 'host')) rawHeaders.unshift('Host', target.host);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, method, path, headers: rawHeaders, agent: false },
      (response) => readAnswer(response).then(resolve, reject),
    );
    request.on('error', reject);
    request.end(body);
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return sendRequest(
    url,
    'POST',
    '/',
    { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers },
    text,
  );
}
