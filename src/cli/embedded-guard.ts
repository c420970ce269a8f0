/**
 * The embedded PGlite database belongs to one process: a command opening it while `npm start` runs would corrupt
 * it. Commands that write to the database therefore ask, in the embedded mode, for `--server-stopped`.
 */
export function refuseEmbeddedWhileServing(databaseUrl: string | undefined, command: string): void {
  if (databaseUrl !== undefined || process.argv.includes('--server-stopped')) return;
  console.error(
    `${command} uses the embedded database, which only one process may open. Stop Keyfob and run it again with\n` +
      `  npm run ${command} -- --server-stopped\nor set DATABASE_URL to run it beside a serving Keyfob.`,
  );
  process.exit(1);
}
