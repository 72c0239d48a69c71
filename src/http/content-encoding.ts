/**
 * Answers an upstream compressed although asked for `accept-encoding: identity`. Redaction reads the body's bytes,
 * and a secret inside compressed bytes is invisible to it: such a body is decoded first (within the same size
 * limit as the answer itself), and a coding that cannot be decoded cannot be checked, so it is refused.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { AppError } from '../errors.js';
import type { InboundResponse } from './send.js';

type Decoder = (body: Buffer, options: ZlibOptions) => Promise<Buffer>;

const inflateAny: Decoder = async (body, options) => {
  // RFC 9110 "deflate" is zlib-wrapped; some servers send raw deflate all the same.
  try {
    return await promisify(inflate)(body, options);
  } catch {
    return promisify(inflateRaw)(body, options);
  }
};

const DECODERS: Record<string, Decoder> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: inflateAny,
  br: promisify(brotliDecompress),
};

/** True when the answer carries a content coding other than `identity`. */
export function isEncoded(response: InboundResponse): boolean {
  const coding = response.headers['content-encoding']?.trim().toLowerCase();
  return coding !== undefined && coding !== '' && coding !== 'identity';
}

/**
 * The answer with its body decoded (codings undone last first) and without `content-encoding` and
 * `content-length`, which no longer describe it. Throws `undecodable_response` for an unknown coding or a corrupt
 * body, `response_too_large` when the decoded body exceeds `maxBytes`. `what` names the request in messages.
 */
export async function decodeContent(
  response: InboundResponse,
  maxBytes: number,
  what: string,
): Promise<InboundResponse> {
  const codings = (response.headers['content-encoding'] ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  let body = response.body;
  for (const coding of codings.reverse()) {
    const decoder = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : undefined;
    if (!decoder) {
      throw new AppError(
        'permanent',
        'undecodable_response',
        `${what}: the answer uses the content coding ${JSON.stringify(coding.slice(0, 32))}, which cannot be checked for secrets`,
      );
    }
    body = await decoder(body, { maxOutputLength: maxBytes }).catch((error: unknown) => {
      throw decodeFailure(error, what, maxBytes);
    });
  }
  const { 'content-encoding': _coding, 'content-length': _length, ...headers } = response.headers;
  return { status: response.status, headers, body };
}

function decodeFailure(error: unknown, what: string, maxBytes: number): AppError {
  if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
    return new AppError('permanent', 'response_too_large', `${what}: decoded response larger than ${maxBytes} bytes`);
  }
  return new AppError('permanent', 'undecodable_response', `${what}: the compressed answer is corrupt`);
}
