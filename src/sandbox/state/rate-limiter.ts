/** A fixed one-minute window per vehicle, like Smartcar's per-vehicle limit; reports when the window reopens. */
export class VehicleRateLimiter {
  #windows = new Map<string, { startedAt: number; count: number }>();

  /** Counts a call; returns the seconds to wait when over the limit, or 0 when the call may proceed. */
  hit(vehicleId: string, limitPerMinute: number, now: number): number {
    if (limitPerMinute <= 0) return 0;
    let window = this.#windows.get(vehicleId);
    if (!window || now - window.startedAt >= 60_000) {
      window = { startedAt: now, count: 0 };
      this.#windows.set(vehicleId, window);
    }
    window.count += 1;
    if (window.count <= limitPerMinute) return 0;
    return Math.max(1, Math.ceil((window.startedAt + 60_000 - now) / 1000));
  }

  reset(): void {
    this.#windows.clear();
  }
}
