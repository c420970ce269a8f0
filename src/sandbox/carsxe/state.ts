/**
 * What the CarsXE simulator remembers: the API keys it issued (and whether they are blocked), each key's calls per
 * API in the current billing period, and its settings. The quota is per key and API, as CarsXE's plans have it.
 */

export interface CarsxeSandboxSettings {
  /** Billed calls per key and API in one period before 429. */
  monthlyQuota: number;
  /** How a call without any key is answered: 402 (the newer pay-per-call answer, UNCONFIRMED) or 401 (documented). */
  keylessStatus: 'payment_required' | 'unauthorized';
}

export const DEFAULT_CARSXE_SETTINGS: CarsxeSandboxSettings = { monthlyQuota: 1000, keylessStatus: 'payment_required' };

export interface CarsxeSandboxOptions {
  apiKeys: string[];
  settings?: Partial<CarsxeSandboxSettings>;
}

export class CarsxeState {
  settings: CarsxeSandboxSettings;
  readonly keys: Map<string, { blocked: boolean }>;
  readonly usage = new Map<string, number>();

  constructor(options: CarsxeSandboxOptions) {
    this.settings = { ...DEFAULT_CARSXE_SETTINGS, ...options.settings };
    this.keys = new Map(options.apiKeys.map((key) => [key, { blocked: false }]));
  }

  /** Counts a billed call; false when the key's quota for this API is already spent. */
  bill(key: string, api: string): { allowed: boolean; current: number } {
    const id = `${key} ${api}`;
    const current = this.usage.get(id) ?? 0;
    if (current >= this.settings.monthlyQuota) return { allowed: false, current };
    this.usage.set(id, current + 1);
    return { allowed: true, current: current + 1 };
  }
}
