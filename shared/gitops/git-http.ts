// isomorphic-git's HTTP client on Node's fetch, so every Git request has a deadline (the
// bundled Node client has none: an unreachable repository would hold an alert forever).
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

async function collect(body: GitHttpRequest['body']): Promise<Uint8Array | undefined> {
  if (!body) return undefined;
  const parts: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(chunk);
  return Buffer.concat(parts);
}

export function gitHttpClient(timeoutMs: number): HttpClient {
  return {
    async request({ url, method = 'GET', headers = {}, body }: GitHttpRequest): Promise<GitHttpResponse> {
      const response = await fetch(url, {
        method,
        headers,
        body: await collect(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'follow',
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        url: response.url,
        method,
        statusCode: response.status,
        statusMessage: response.statusText,
        headers: Object.fromEntries(response.headers.entries()),
        body: (async function* () {
          yield bytes;
        })(),
      };
    },
  };
}
