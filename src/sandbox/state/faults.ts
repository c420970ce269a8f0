/**
 * Fault injection: the next N calls to a target are slowed (before or after being processed), answered with a 5xx,
 * or have their connection dropped.
 * Faults queue per target and are consumed in order, one per call.
 */
/** A simulator's fault target (src/sandbox/registry.ts lists them all). */
export type FaultTarget = string;

export type Fault =
  | { kind: 'slow'; delayMs: number }
  /** Processes the call at once but holds the answer back: the client may die before it hears the result. */
  | { kind: 'slow_answer'; delayMs: number }
  /** A 429 also carries `retry-after`, as Smartcar's do. */
  | { kind: 'error'; status: number; retryAfterSeconds?: number }
  | { kind: 'drop' };

export class FaultPlan {
  #queues = new Map<FaultTarget, Fault[]>();

  add(target: FaultTarget, fault: Fault, count: number): void {
    const queue = this.#queues.get(target) ?? [];
    for (let i = 0; i < count; i++) queue.push(fault);
    this.#queues.set(target, queue);
  }

  /** The fault for this call, if one is pending. */
  take(target: FaultTarget): Fault | undefined {
    return this.#queues.get(target)?.shift();
  }

  pending(): Record<string, number> {
    return Object.fromEntries([...this.#queues].map(([target, queue]) => [target, queue.length]));
  }

  clear(): void {
    this.#queues.clear();
  }
}
