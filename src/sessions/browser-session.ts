/**
 * One request's view of its browser session: the id the cookie names and the data the store holds for it.
 * The data object may be shared with other requests (the read cache hands out one frozen copy), so a change makes
 * a new object (`update`), and only a request that changed something writes to the store, once, as it answers.
 */
import { randomBytes } from 'node:crypto';
import type { SessionData, SessionStore } from './session-store.ts';

/** 192 random bits, as @fastify/session and express-session use: not guessable, never reused. */
const newSessionId = () => randomBytes(24).toString('base64url');

export class BrowserSession {
  #id: string;
  #data: SessionData | null;
  /** Whether the store holds this id (a later save updates it rather than creating it). */
  #stored: boolean;
  #changed = false;
  #destroyed = false;

  constructor(
    private readonly store: SessionStore,
    stored: { id: string; data: SessionData } | null,
  ) {
    this.#id = stored?.id ?? newSessionId();
    this.#data = stored?.data ?? null;
    this.#stored = stored !== null;
  }

  get sessionId(): string {
    return this.#id;
  }

  /** Whether the browser brought a live session (not one started by this request). */
  get existing(): boolean {
    return this.#stored;
  }

  get userId(): string | undefined {
    return this.#data?.userId;
  }

  get createdAt(): number | undefined {
    return this.#data?.createdAt;
  }

  get lastSeenAt(): number | undefined {
    return this.#data?.lastSeenAt;
  }

  get pendingLogins(): SessionData['pendingLogins'] {
    return this.#data?.pendingLogins;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Changes some fields; a session that had no data yet begins now. Written to the store when the request answers. */
  update(changes: Partial<SessionData>): void {
    const now = Date.now();
    this.#data = { createdAt: now, lastSeenAt: now, ...this.#data, ...changes };
    this.#changed = true;
  }

  /** A new, empty session under a new id; the old one is destroyed. Call on sign-in: an id planted before is worthless after. */
  async regenerate(): Promise<void> {
    if (this.#stored) await this.store.destroy(this.#id);
    this.#id = newSessionId();
    this.#data = null;
    this.#stored = false;
    this.#changed = false;
  }

  async destroy(): Promise<void> {
    if (this.#stored) await this.store.destroy(this.#id);
    this.#data = null;
    this.#stored = false;
    this.#changed = false;
    this.#destroyed = true;
  }

  /**
   * Writes a changed session (creating it or updating it as the store allows) and says whether it was written.
   * Nothing is written for a session without data: a visitor who never started a login costs no storage.
   */
  async save(ttlMs: (data: SessionData) => number): Promise<boolean> {
    if (!this.#changed || this.#data === null) return false;
    const written = await this.store.save(this.#id, this.#data, ttlMs(this.#data), this.#stored ? 'update' : 'create');
    this.#changed = false;
    if (written) this.#stored = true;
    return written;
  }
}
