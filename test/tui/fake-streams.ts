/**
 * Minimal stand-ins for a terminal's stdin and stdout, enough for Ink (raw mode, readable
 * events, resize) and for the plain printer. They record what was done to them.
 */

import { EventEmitter } from "node:events";

export class FakeStdin extends EventEmitter {
  isTTY: boolean;
  readonly rawModes: boolean[] = [];
  private readonly queue: string[] = [];

  constructor(isTTY = true) {
    super();
    this.isTTY = isTTY;
  }

  setRawMode(enabled: boolean): this {
    if (!this.isTTY) throw new Error("raw mode on a stdin that is not a terminal");
    this.rawModes.push(enabled);
    return this;
  }

  setEncoding(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  resume(): this {
    return this;
  }

  pause(): this {
    return this;
  }

  read(): string | null {
    return this.queue.shift() ?? null;
  }

  /** Delivers `data` as if typed. */
  type(data: string): void {
    this.queue.push(data);
    this.emit("readable");
  }

  /** True while raw mode is on. */
  get raw(): boolean {
    return this.rawModes.at(-1) === true;
  }
}

export class FakeStdout extends EventEmitter {
  isTTY: boolean;
  columns: number;
  rows: number;
  readonly chunks: string[] = [];

  constructor(opts: { isTTY?: boolean; columns?: number; rows?: number } = {}) {
    super();
    this.isTTY = opts.isTTY ?? true;
    this.columns = opts.columns ?? 100;
    this.rows = opts.rows ?? 30;
  }

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get text(): string {
    return this.chunks.join("");
  }
}
