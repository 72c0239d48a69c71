/**
 * An undici dispatch handler that collects one answer whole, within a size limit.
 *
 * Every answer is read whole anyway (it is redacted, then stored as the job's result), so the stream that undici's
 * `request()` builds for each response (a Readable, its buffering, its end and close events) is pure cost: in one
 * loop over the same loopback upstream, `request()` with `arrayBuffer()` took 31–38 µs of CPU per request and this
 * handler 18–25 (docs/PERFORMANCE.md).
 */
import type { Dispatcher } from 'undici';

export interface CollectedAnswer {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class AnswerCollector implements Dispatcher.DispatchHandler {
  /** Settles once: with the whole answer, or with the first error (the request's, the limit's, or a cancel). */
  readonly answer: Promise<CollectedAnswer>;
  private resolve!: (answer: CollectedAnswer) => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private cancelled: Error | undefined;
  private status = 0;
  private headers: Record<string, string> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  /**
   * @param maxBytes larger answers fail with `tooLarge()`, before reading when the Content-Length says so
   * @param tooLarge the error for an answer over `maxBytes`
   */
  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
  ) {
    this.answer = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /**
   * Stops the request with `reason`: at once when undici has started it, else as soon as it does (a request may
   * wait for a free connection). The answer fails now either way.
   */
  cancel(reason: Error): void {
    this.cancelled ??= reason;
    this.reject(reason);
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cancelled) controller.abort(this.cancelled);
  }

  // What a handler throws, undici turns into an abort of the request and an `onResponseError` with that error.
  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx (100 Continue, 103 Early Hints): the answer itself is still to come.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
    if (Number(this.headers['content-length']) > this.maxBytes) throw this.tooLarge();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) throw this.tooLarge();
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const { chunks } = this;
    const body = chunks.length === 0 ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
