/**
 * What this process has learned from answers, per scope: quotas to pace to, and until when the budget is spent.
 *
 * It is the cheap check that keeps calls without any budget off Redis: a scope this process has never seen a rate
 * limit hint for has no entry, and its calls go straight out. Once an answer teaches something, the scope's calls
 * ask the shared store like calls of a declared budget. Bounded: the least recently taught scope goes first.
 */

import { Lru } from '../../lru.js';
import type { Lesson } from './headers.js';
import type { PaceLimit } from './pacing.js';

export interface Learned {
  quotas: PaceLimit[];
  /** Epoch ms (this process's clock) before which this process knows the scope is spent. */
  blockedUntil: number;
}

export interface LearnOutcome {
  /** The quotas differ from what was known. */
  quotasChanged: boolean;
  /** The answer blocks the scope beyond what was known: the shared store must hear of it. */
  blocksLonger: boolean;
}

/** Scopes remembered. @default 10000 */
const DEFAULT_MAX_ENTRIES = 10_000;

export class LearnedLedger {
  private readonly entries: Lru<string, Learned>;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.entries = new Lru(maxEntries);
  }

  get(scope: string): Learned | undefined {
    return this.entries.peek(scope);
  }

  learn(scope: string, lesson: Lesson, now: number = Date.now()): LearnOutcome {
    const known = this.entries.peek(scope);
    const quotas = lesson.quotas.length > 0 ? lesson.quotas : (known?.quotas ?? []);
    const blockedUntil = Math.max(known?.blockedUntil ?? 0, now + (lesson.blockedForMs ?? 0));
    const quotasChanged = !sameQuotas(known?.quotas ?? [], quotas);
    const blocksLonger = lesson.blockedForMs !== undefined && blockedUntil > (known?.blockedUntil ?? 0);
    if (known && !quotasChanged && !blocksLonger) return { quotasChanged, blocksLonger };
    this.entries.set(scope, { quotas, blockedUntil });
    return { quotasChanged, blocksLonger };
  }
}

function sameQuotas(a: readonly PaceLimit[], b: readonly PaceLimit[]): boolean {
  return (
    a.length === b.length &&
    a.every((quota, i) => quota.requests === b[i]?.requests && quota.perSeconds === b[i]?.perSeconds)
  );
}
