/** Retries `check` until it returns a truthy value without throwing, or the time is up; returns that value. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(`condition not met within ${timeoutMs} ms (last value: ${String(value)})`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
