/** How long a piece of work with counted steps has left, from its pace so far (both hosts show it). */

/** "about 3 min left" from the time since step 0 and the steps done; null before there is a pace. */
export function timeLeft(elapsedMs: number, done: number, of: number): string | null {
  if (done <= 0 || done >= of || elapsedMs <= 0) return null;
  const seconds = ((of - done) * elapsedMs) / done / 1000;
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}
