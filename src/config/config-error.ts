/** One bad variable, and what it expects (never its value when that may be a secret). */
export type ConfigProblem = { variable: string; expected: string };

/** A bad environment: one line per bad variable, each naming it and what it expects. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Keyfob cannot start: ${problems.length} setting(s) need attention\n${problems
        .map((problem) => `  ${problem.variable}: ${problem.expected}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
