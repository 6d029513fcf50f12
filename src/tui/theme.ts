/**
 * Colours of the live view. With NO_COLOR every colour is undefined, so Ink emits no
 * colour codes at all; attributes that carry meaning without colour (dim for a detached
 * probe, inverse for the selection, bold headings) stay.
 */

export interface Theme {
  accent: string | undefined;
  good: string | undefined;
  warn: string | undefined;
  bad: string | undefined;
  muted: string | undefined;
}

const COLOURS: Theme = { accent: "cyan", good: "green", warn: "yellow", bad: "red", muted: "gray" };

const NO_COLOURS: Theme = {
  accent: undefined,
  good: undefined,
  warn: undefined,
  bad: undefined,
  muted: undefined,
};

export function makeTheme(noColor: boolean): Theme {
  return noColor ? NO_COLOURS : COLOURS;
}

/** NO_COLOR is honoured when set to any non-empty value (https://no-color.org). */
export function noColorRequested(env: NodeJS.ProcessEnv): boolean {
  return typeof env.NO_COLOR === "string" && env.NO_COLOR !== "";
}
