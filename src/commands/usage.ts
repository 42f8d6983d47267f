/** A usage error: one line on stderr and exit code 2 (like an invalid configuration value). */
export function usageError(message: string): never {
  process.stderr.write(`alphapulse: ${message}\n`);
  process.exit(2);
}
