/**
 * A circuit breaker per backend. Closed: calls pass. After `failures` consecutive failures it
 * opens: calls are refused at once for `cooldownMs`. Then half-open: one probe passes; its
 * success closes the circuit, its failure opens it again for another cooldown.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  failures: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private probeInFlight = false;
  private readonly now: () => number;

  constructor(private readonly settings: BreakerSettings) {
    this.now = settings.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.settings.cooldownMs ? 'half_open' : 'open';
  }

  /** Seconds until an open circuit lets a probe through (0 when it would now). */
  retryAfterSeconds(): number {
    if (this.openedAt === undefined) return 0;
    return Math.max(0, (this.openedAt + this.settings.cooldownMs - this.now()) / 1000);
  }

  /** May a call go now? In half-open, only one (the probe) until it reports back. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** A call that got through ended without reaching the backend's verdict (cancelled, queue full). */
  release(): void {
    this.probeInFlight = false;
  }

  success(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.probeInFlight = false;
  }

  failure(): void {
    this.probeInFlight = false;
    this.consecutiveFailures++;
    if (this.openedAt !== undefined || this.consecutiveFailures >= this.settings.failures) this.openedAt = this.now();
  }

  snapshot() {
    return { state: this.state, consecutive_failures: this.consecutiveFailures };
  }
}
