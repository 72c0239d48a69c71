/**
 * Records every exchange of an authoring run as it went over the wire: the worker's own transport (`send`, with its
 * limits and policies) does the sending; the recorder only keeps the request and the answer next to each other.
 */
import { isAppError } from '../errors.js';
import type { InboundResponse, OutboundRequest, Transport } from '../http/send.js';

/** What the run was doing: the token request, the test API, one API call, or a probe of another client auth. */
export type Step = 'token' | 'test' | 'call' | `probe ${string}`;

export interface Exchange {
  step: Step;
  request: OutboundRequest;
  response?: InboundResponse;
  /** Why no answer came (timeout, network, refused by the transport's policy). */
  error?: string;
}

export class Recorder {
  readonly exchanges: Exchange[] = [];

  /** @param base The transport that really sends: the one the worker makes from the same settings. */
  constructor(private readonly base: Transport) {}

  /** A transport that sends with `base` and records the exchange under `step`. */
  transport(step: Step): Transport {
    return async (request) => {
      const exchange: Exchange = { step, request };
      this.exchanges.push(exchange);
      try {
        exchange.response = await this.base(request);
        return exchange.response;
      } catch (error) {
        exchange.error = isAppError(error) ? error.message : 'the request failed';
        throw error;
      }
    };
  }

  /** The latest answer recorded for `step`. */
  lastResponse(step: Step): InboundResponse | undefined {
    return this.exchanges.findLast((exchange) => exchange.step === step)?.response;
  }
}
