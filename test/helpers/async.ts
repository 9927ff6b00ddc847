/** Waits `ms` milliseconds (0: until the timers phase of the event loop). */
export const tick = (ms = 0): Promise<unknown> => new Promise((r) => setTimeout(r, ms));

/** A promise and the function that settles it. */
export function latch(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Waits until `condition` holds (real time, checked every 5 ms), failing with `what` after `ms`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}
