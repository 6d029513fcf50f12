/**
 * The UI clock. The live view advances the simulation once per tick and never per hit;
 * the ticker decides when a tick happens and how much wall time it covers. Tests use a
 * manual ticker so nothing depends on real time.
 */

export interface Ticker {
  /** Calls `onTick(elapsedMs)` once per tick until the returned function is called. */
  start(onTick: (elapsedMs: number) => void): () => void;
}

/** Ticks every `intervalMs`, reporting the wall time measured since the previous tick. */
export function intervalTicker(intervalMs: number, now: () => number = () => performance.now()): Ticker {
  return {
    start(onTick) {
      let last = now();
      const timer = setInterval(() => {
        const at = now();
        onTick(at - last);
        last = at;
      }, intervalMs);
      return () => clearInterval(timer);
    },
  };
}

/** A ticker driven by hand: each `fire(ms)` is one tick covering `ms` of wall time. */
export interface ManualTicker extends Ticker {
  fire(elapsedMs: number): void;
  readonly running: boolean;
}

export function manualTicker(): ManualTicker {
  let listener: ((elapsedMs: number) => void) | undefined;
  return {
    start(onTick) {
      listener = onTick;
      return () => {
        listener = undefined;
      };
    },
    fire(elapsedMs) {
      listener?.(elapsedMs);
    },
    get running() {
      return listener !== undefined;
    },
  };
}
