/**
 * Browsers calling Keyfob without pause while a test takes a server away: each browser asks in turn, one call at a
 * time, and every answer is kept with the moment it came. `summary` says how many failed, and for how long.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from './browser.ts';

export interface TimedAnswer {
  at: number;
  status: number;
  error: string | undefined;
}

export function startTraffic(browsers: Browser[], path: string, pauseMs = 20) {
  const answers: TimedAnswer[] = [];
  let running = true;
  const loops = browsers.map(async (browser) => {
    while (running) {
      const answer = await browser.request('GET', path).catch((error: Error) => ({
        status: 0,
        json: { error: error.message },
      }));
      answers.push({ at: Date.now(), status: answer.status, error: answer.json?.error });
      await sleep(pauseMs);
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    /** Failed answers (5xx, or no answer) and the time from the first to the last of them. */
    summary() {
      const failed = answers.filter((answer) => answer.status === 0 || answer.status >= 500);
      const first = failed[0]?.at;
      const last = failed[failed.length - 1]?.at;
      return {
        total: answers.length,
        failed: failed.length,
        failedCodes: [...new Set(failed.map((answer) => `${answer.status} ${answer.error ?? ''}`.trim()))],
        windowMs: first === undefined || last === undefined ? 0 : last - first,
        /** Answers neither 200 nor a 5xx: a lost session (401) or a lost grant would show here. */
        other: answers.filter((answer) => answer.status !== 200 && answer.status !== 0 && answer.status < 500),
      };
    },
  };
}
