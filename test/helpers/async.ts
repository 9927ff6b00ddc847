/** Waits `ms` milliseconds (0: until the timers phase of the event loop). */
export const tick = (ms = 0): Promise<unknown> => new Promise((r) => setTimeout(r, ms));

/** A promise and the function that settles it. */
export function latch(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
