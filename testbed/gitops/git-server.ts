// A Git repository served over smart HTTP on loopback by Debian's git: `git http-backend` (a
// CGI program) behind a small Node HTTP server that checks basic auth, as a Git host does.
// Both Flux's source-controller (go-git) and the functions (isomorphic-git) talk to it. Every
// request is logged, so a test can prove a function made no Git access at all.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitRequest {
  method: string;
  path: string;
  user: string | undefined;
  status: number;
}

export interface GitServer {
  /** http://127.0.0.1:<port>/<name>.git */
  url: string;
  /** The bare repository on disk (for `git --git-dir`). */
  bareDir: string;
  requests: GitRequest[];
  /** Called once per push, after the client asked for the refs and before it sends its pack: a test makes a concurrent commit here. */
  beforePushAdvertisement?: (user: string | undefined) => Promise<void> | void;
  close(): Promise<void>;
}

const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1' };

export function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      ...GIT_ENV,
      GIT_AUTHOR_NAME: 'a developer',
      GIT_AUTHOR_EMAIL: 'dev@example.test',
      GIT_COMMITTER_NAME: 'a developer',
      GIT_COMMITTER_EMAIL: 'dev@example.test',
    },
    encoding: 'utf8',
  }).trim();
}

function userOf(request: IncomingMessage, users: Map<string, string>): string | undefined | false {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  return users.get(user!) === rest.join(':') ? user : false;
}

/** Runs git http-backend for one request (CGI/1.1: the request as environment and stdin, the answer as headers + body on stdout). */
function cgi(request: IncomingMessage, response: ServerResponse, root: string, user: string | undefined, body: Buffer): Promise<number> {
  const url = new URL(request.url!, 'http://git');
  const env: Record<string, string> = {
    ...GIT_ENV,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: request.method!,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    CONTENT_LENGTH: String(body.length),
    REMOTE_ADDR: '127.0.0.1',
    ...(user && { REMOTE_USER: user }),
    ...(request.headers['git-protocol'] && { GIT_PROTOCOL: String(request.headers['git-protocol']) }),
    ...(request.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: String(request.headers['content-encoding']) }),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    // http-backend may answer and exit before reading the body (a refusal, a GET with none): EPIPE is not a failure.
    child.stdin.on('error', () => {});
    child.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n') >= 0 ? all.indexOf('\r\n\r\n') : all.indexOf('\n\n');
      const sep = all.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
      let status = 200;
      for (const line of all.subarray(0, split).toString('utf8').split(/\r?\n/)) {
        const [name, ...value] = line.split(':');
        if (!name) continue;
        if (name.toLowerCase() === 'status') status = Number.parseInt(value.join(':').trim(), 10);
        else response.setHeader(name, value.join(':').trim());
      }
      response.statusCode = status;
      response.end(all.subarray(split + sep));
      resolve(status);
    });
    child.stdin.end(body);
  });
}

/**
 * A bare repository `name`.git with branch `main`, served to `users` (name → password);
 * pushing is allowed to them, as on a Git host.
 */
export async function startGitServer(name: string, users: Record<string, string>): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'frf-git-'));
  const bareDir = join(root, `${name}.git`);
  git(['init', '--quiet', '--bare', '--initial-branch=main', bareDir]);
  git(['config', 'http.receivepack', 'true'], bareDir);
  const accounts = new Map(Object.entries(users));
  const requests: GitRequest[] = [];
  const server: GitServer = {
    url: '',
    bareDir,
    requests,
    async close() {
      await new Promise((done) => http.close(done));
      http.closeAllConnections();
      rmSync(root, { recursive: true, force: true });
    },
  };
  const http = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const user = userOf(request, accounts);
    const record = (status: number) => requests.push({ method: request.method!, path: request.url!, user: user || undefined, status });
    if (user === undefined || user === false) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return record(401);
    }
    try {
      if (request.url!.includes('service=git-receive-pack') && request.method === 'GET') await server.beforePushAdvertisement?.(user);
      record(await cgi(request, response, root, user, Buffer.concat(chunks)));
    } catch (error) {
      response.writeHead(500).end(String(error));
      record(500);
    }
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/${name}.git`;
  return server;
}

/** Commits `files` (path → text) to `main` of the served repository with the git CLI, as a developer would; returns the commit id. */
export function commitFiles(server: GitServer, files: Record<string, string>, message: string): string {
  const work = mkdtempSync(join(tmpdir(), 'frf-git-work-'));
  try {
    const hasMain = git(['--git-dir', server.bareDir, 'branch', '--list', 'main']) !== '';
    if (hasMain) git(['clone', '--quiet', '--branch', 'main', server.bareDir, work]);
    else git(['init', '--quiet', '--initial-branch=main', work]);
    for (const [path, text] of Object.entries(files)) {
      execFileSync('mkdir', ['-p', join(work, path, '..')]);
      execFileSync('tee', [join(work, path)], { input: text, stdio: ['pipe', 'ignore', 'inherit'] });
      git(['add', path], work);
    }
    git(['commit', '--quiet', '-m', message], work);
    git(['push', '--quiet', server.bareDir, 'HEAD:refs/heads/main'], work);
    return git(['rev-parse', 'HEAD'], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A file as the tip of `main` has it. */
export function fileAtMain(server: GitServer, path: string): string {
  return git(['--git-dir', server.bareDir, 'show', `main:${path}`]);
}

/** Commits on `main`, newest first: id, author and subject. */
export function logOfMain(server: GitServer): { sha: string; author: string; subject: string; body: string }[] {
  return git(['--git-dir', server.bareDir, 'log', '--format=%H%x1f%an%x1f%s%x1f%b%x1e', 'main'])
    .split('\x1e')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [sha, author, subject, body] = entry.split('\x1f');
      return { sha: sha!, author: author!, subject: subject!, body: body ?? '' };
    });
}
