import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/http/send.js';
import { startProvider, type TestProvider } from '../support/provider.js';

let transport = createTransport();
const send: typeof transport.send = (request) => transport.send(request);
let provider: TestProvider;

beforeAll(async () => {
  provider = await startProvider();
  provider.quirk({ apiOpen: true });
});
afterAll(async () => {
  await provider.close();
  await transport.close();
});

const get = (path: string, extra: Partial<Parameters<typeof send>[0]> = {}) =>
  send({ method: 'GET', url: `${provider.url}${path}`, headers: {}, ...extra });

describe('send', () => {
  it('sends method, headers and body, and returns status, lower-case headers and the body', async () => {
    const response = await send({
      method: 'PUT',
      url: `${provider.url}/api/things?a=1&a=2`,
      headers: { 'X-Custom': 'yes', 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    const echo = JSON.parse(response.body.toString());
    expect(echo).toMatchObject({ method: 'PUT', path: '/api/things', query: { a: ['1', '2'] }, body: '{"x":1}' });
    expect(echo.headers['x-custom']).toBe('yes');
  });

  it('returns binary bodies byte for byte', async () => {
    const response = await get('/api/binary');
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.body.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('never follows redirects', async () => {
    const response = await get(`/api/redirect?to=${encodeURIComponent('https://elsewhere.example/')}&status=302`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('https://elsewhere.example/');
  });

  it('returns error statuses as answers, not exceptions', async () => {
    const response = await get('/api/status/503?retryAfter=5');
    expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
  });

  it('when content-length exceeds the limit, it fails permanently before reading', async () => {
    await expect(get('/api/large?bytes=200000', { maxResponseBytes: 100_000 })).rejects.toMatchObject({
      kind: 'permanent',
      code: 'response_too_large',
    });
  });

  it('when a chunked body passes the limit while streaming, it fails permanently', async () => {
    await expect(get('/api/large?bytes=300000&chunked', { maxResponseBytes: 100_000 })).rejects.toMatchObject({
      code: 'response_too_large',
    });
    expect((await get('/api/large?bytes=100000&chunked', { maxResponseBytes: 100_000 })).body.length).toBe(100_000);
  });

  it('when headers do not come in time, it is a transient timeout naming method, origin and path only', async () => {
    const error = await get('/api/slow?ms=2000&access_token=secret-in-query', {
      timeoutMs: 200,
      headers: { authorization: 'Bearer hdr-secret' },
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect((error as Error).message).toBe(`GET ${provider.url}/api/slow: no answer within 200 ms`);
  });

  it('when the body stalls past the budget, it is a timeout too', async () => {
    await expect(get('/api/slow?ms=2000&phase=body', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout' });
  });

  describe('an upstream that drips one byte at a time, each pause shorter than the budget', () => {
    const BUDGET_MS = 1_000;
    /** Answers headers at once (`length`: with Content-Length, else chunked), then one byte every 300 ms, forever. */
    async function drip(length: boolean) {
      const timers = new Set<NodeJS.Timeout>();
      const server = createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => {
          socket.write(
            length
              ? 'HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n'
              : 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n',
          );
          const timer = setInterval(() => socket.write(length ? 'x' : '1\r\nx\r\n'), 300);
          timers.add(timer);
          socket.once('close', () => clearInterval(timer));
        });
      }).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const close = () => {
        for (const timer of timers) clearInterval(timer);
        server.close();
      };
      return { url: `http://127.0.0.1:${port}/drip`, close };
    }

    for (const length of [true, false]) {
      it(`ends at its budget as a whole (${length ? 'content-length' : 'chunked'}), as a transient timeout`, async () => {
        const upstream = await drip(length);
        const started = Date.now();
        const error = await send({ method: 'GET', url: upstream.url, headers: {}, timeoutMs: BUDGET_MS }).catch(
          (e: Error) => e,
        );
        const elapsed = Date.now() - started;
        upstream.close();
        expect(error).toMatchObject({ kind: 'transient', code: 'timeout' });
        expect((error as Error).message).toBe(`GET ${upstream.url}: no answer within ${BUDGET_MS} ms`);
        // Ends at the budget (plus the sweep's 100 ms); before, every byte restarted the body timeout.
        expect(elapsed).toBeGreaterThanOrEqual(BUDGET_MS - 10);
        expect(elapsed).toBeLessThan(5 * BUDGET_MS);
      });
    }
  });

  it('when the connection is refused, it is a transient network error', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const error = await send({ method: 'GET', url: `http://127.0.0.1:${port}/x?token=abc`, headers: {} }).catch(
      (e: Error) => e,
    );
    expect(error).toMatchObject({ kind: 'transient', code: 'network' });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).not.toContain('abc');
  });

  it('when the server closes the socket mid-answer, it is a transient network error', async () => {
    const server = createServer((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial')),
    );
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    await expect(send({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} })).rejects.toMatchObject({
      kind: 'transient',
      code: 'network',
    });
    server.close();
  });

  it('when the caller aborts, it stops with a transient aborted error', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(get('/api/slow?ms=2000', { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('when every connection is busy, a waiting request still ends at its budget, and the busy one is unharmed', async () => {
    const single = createTransport({ connections: 1 });
    try {
      const busy = single.send({ method: 'GET', url: `${provider.url}/api/slow?ms=1000`, headers: {} });
      const started = Date.now();
      const waiting = await single
        .send({ method: 'GET', url: `${provider.url}/api/echo`, headers: {}, timeoutMs: 150 })
        .catch((error: unknown) => error);
      expect(waiting).toMatchObject({ kind: 'transient', code: 'timeout' });
      // Before the busy request's answer (1 s), not after it.
      expect(Date.now() - started).toBeLessThan(700);
      expect((await busy).status).toBe(200);
    } finally {
      await single.close();
    }
  });

  it('an informational answer (103 Early Hints) is skipped: status and headers come from the final answer', async () => {
    const server = createServer((socket) =>
      socket.once('data', () =>
        socket.end(
          'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n' +
            'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-twice: a\r\nx-twice: b\r\n\r\nok',
        ),
      ),
    );
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      const response = await send({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} });
      expect(response.status).toBe(200);
      expect(response.headers.link).toBeUndefined();
      expect(response.headers['x-twice']).toBe('a, b');
      expect(response.body.toString()).toBe('ok');
    } finally {
      server.close();
    }
  });

  it('a URL of another scheme is refused as a request that cannot be sent', async () => {
    await expect(send({ method: 'GET', url: 'ftp://127.0.0.1/file', headers: {} })).rejects.toMatchObject({
      kind: 'invalid_input',
      code: 'invalid_request',
    });
  });

  it('reuses connections across requests (keep-alive)', async () => {
    await transport.close(); // start from an empty pool: earlier tests left sockets of their own
    transport = createTransport();
    const ports = new Set<number>();
    for (let i = 0; i < 10; i++) ports.add(JSON.parse((await get('/api/echo')).body.toString()).remotePort);
    // undici may open a second socket while the first finishes its answer; without keep-alive there would be 10.
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});
