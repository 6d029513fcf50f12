/**
 * The live view of `probelab top` as one Ink component. It owns the UI clock (one
 * session.tick() per tick, never per hit), turns keys into keymap commands, carries out
 * their effects on the session, and lays the screen out to the terminal's size.
 */

import { Box, useApp, useInput, useStdin, useStdout } from "ink";
import { useEffect, useRef, useState } from "react";
import type { LiveSession, SessionSnapshot } from "../trace/snapshot.js";
import { detailLines } from "./detail.js";
import { type KeyFlags, keyName, lookupKey, splitKeys } from "./keymap.js";
import {
  fitColumns,
  headerLines,
  layoutScreen,
  MIN_COLUMNS,
  MIN_ROWS,
  scrollStart,
  visibleProbes,
} from "./model.js";
import { makeTheme } from "./theme.js";
import type { Ticker } from "./ticker.js";
import {
  applyCommand,
  attachAnswered,
  type Effect,
  INITIAL_VIEW_STATE,
  scopeOf,
  selectedProbe,
  typeText,
  type ViewState,
} from "./view-state.js";
import {
  DetailPanel,
  FailureBanner,
  Footer,
  finishedNote,
  Header,
  HelpOverlay,
  InputLine,
  PausedBanner,
  ProbeTable,
  probeNote,
  StatusLine,
  TooSmall,
  tableWidthFor,
} from "./views.js";

export interface TopAppProps {
  session: LiveSession;
  ticker: Ticker;
  noColor: boolean;
  /** Wall clock in ms for the `d d` double press (injectable for tests). */
  now?: () => number;
  /** Called once with the final snapshot after `q`, before the app unmounts. */
  onExit?: (final: SessionSnapshot) => void;
  /**
   * Called when session.tick() throws. The view stops ticking and says so, and stays up
   * so the user can read the last numbers; `q` then quits as usual.
   */
  onFailure?: (error: unknown) => void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Terminal size, following resizes; ink-testing-library's stdout has no rows, so 24 is assumed. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

export function TopApp({ session, ticker, noColor, now = Date.now, onExit, onFailure }: TopAppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { columns, rows } = useTerminalSize();
  const theme = makeTheme(noColor);

  const [latest, setLatest] = useState<SessionSnapshot>(() => session.snapshot());
  const [frozen, setFrozen] = useState<SessionSnapshot | undefined>(undefined);
  const [view, setView] = useState<ViewState>(INITIAL_VIEW_STATE);
  const [finished, setFinished] = useState(false);
  const [failure, setFailure] = useState<string | undefined>(undefined);

  // Keys can arrive faster than React re-renders; handlers read and write these refs so
  // each key sees the state the previous key left.
  const latestRef = useRef(latest);
  const frozenRef = useRef(frozen);
  const viewRef = useRef(view);
  const stopTicker = useRef<() => void>(() => {});
  // Set by `q`; keys after it in the same burst must not reach a closed session.
  const quitting = useRef(false);
  // Held in a ref so a new callback from the parent does not restart the UI clock.
  const onFailureRef = useRef(onFailure);
  onFailureRef.current = onFailure;

  const publish = (snapshot: SessionSnapshot) => {
    latestRef.current = snapshot;
    setLatest(snapshot);
  };
  const freeze = (snapshot: SessionSnapshot | undefined) => {
    frozenRef.current = snapshot;
    setFrozen(snapshot);
  };
  const update = (next: ViewState) => {
    viewRef.current = next;
    setView(next);
  };

  useEffect(() => {
    // Collection goes on while paused: only what is displayed freezes.
    const stop = ticker.start((elapsedMs) => {
      let snapshot: SessionSnapshot;
      try {
        snapshot = session.tick(elapsedMs);
      } catch (error) {
        stop();
        setFailure(`simulation stopped: ${messageOf(error)}`);
        onFailureRef.current?.(error);
        return;
      }
      latestRef.current = snapshot;
      setLatest(snapshot);
    });
    stopTicker.current = stop;
    return stop;
  }, [session, ticker]);

  useEffect(() => {
    if (finished) exit();
  }, [finished, exit]);

  const displayedNow = () =>
    viewRef.current.paused ? (frozenRef.current ?? latestRef.current) : latestRef.current;

  /** After the user changes the session, show the change at once, even while paused. */
  const refresh = () => {
    const snapshot = session.snapshot();
    publish(snapshot);
    if (viewRef.current.paused) freeze(snapshot);
  };

  const quit = () => {
    quitting.current = true;
    stopTicker.current();
    let final = latestRef.current;
    try {
      final = session.close();
    } catch (error) {
      // The summary then shows the last snapshot; the failure is still reported.
      onFailureRef.current?.(error);
    }
    publish(final);
    onExit?.(final);
    setFinished(true);
  };

  /** A session call that throws must not take the whole view down with it. */
  const guard = (state: ViewState, call: () => ViewState): ViewState => {
    try {
      return call();
    } catch (error) {
      const message = messageOf(error);
      return state.input === "attach" ? { ...state, attachError: message } : { ...state, message };
    }
  };

  const carryOut = (effect: Effect, state: ViewState): ViewState => {
    switch (effect.kind) {
      case "attach":
        return attachAnswered(state, session.attach(effect.text));
      case "detach":
        session.detachProbe(effect.id);
        return state;
      case "reattach":
        session.reattachProbe(effect.id);
        return state;
      case "setSpeed":
        session.setSpeed(effect.factor);
        return state;
      case "quit":
        quit();
        return state;
    }
  };

  const onInput = (input: string, key: KeyFlags) => {
    for (const single of splitKeys(input, key)) onKey(single.input, single.key);
  };

  const onKey = (input: string, key: KeyFlags) => {
    if (quitting.current) return;
    const state = viewRef.current;
    const scope = scopeOf(state);
    const name = keyName(input, key);
    const binding = name === undefined ? undefined : lookupKey(scope, name);
    if (!binding) {
      if (scope === "input" && !key.ctrl) update(typeText(state, input));
      else if (scope === "help") update({ ...state, helpOpen: false });
      return;
    }
    const snapshot = displayedNow();
    const outcome = applyCommand(state, binding.command, {
      visible: visibleProbes(snapshot, state.filter, state.sort),
      targetSpeed: latestRef.current.targetSpeed,
      nowMs: now(),
    });
    let next = outcome.state;
    if (next.paused !== state.paused) freeze(next.paused ? latestRef.current : undefined);
    if (outcome.effect) {
      const effect = outcome.effect;
      next = guard(next, () => carryOut(effect, next));
      if (outcome.effect.kind !== "quit") {
        viewRef.current = next;
        refresh();
      }
    }
    update(next);
  };

  useInput(onInput, { isActive: isRawModeSupported === true && !finished });

  if (finished) return null;
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) return <TooSmall columns={MIN_COLUMNS} rows={MIN_ROWS} />;

  const snapshot = view.paused ? (frozen ?? latest) : latest;
  const width = columns;
  const header = headerLines(snapshot, width);
  const visible = visibleProbes(snapshot, view.filter, view.sort);
  const selected = selectedProbe(view, visible);
  const { errorLines, tableRows, detailRows, helpRows } = layoutScreen(rows, {
    headerLines: header.length,
    probeCount: visible.length,
    paused: view.paused,
    failed: failure !== undefined,
    detailOpen: view.detailOpen,
    inputOpen: view.input !== undefined,
    attachError: view.attachError,
  });
  const selectedIndex = visible.findIndex((row) => row.id === selected?.id);

  return (
    <Box flexDirection="column" width={width}>
      {failure === undefined ? null : <FailureBanner text={failure} width={width} theme={theme} />}
      {view.paused ? <PausedBanner width={width} theme={theme} /> : null}
      <Header lines={header} theme={theme} />
      {view.helpOpen ? (
        <HelpOverlay height={helpRows} theme={theme} />
      ) : (
        <>
          <ProbeTable
            rows={visible}
            columns={fitColumns(tableWidthFor(width))}
            sort={view.sort}
            selectedId={selected?.id}
            start={scrollStart(selectedIndex, visible.length, tableRows)}
            height={tableRows}
            filter={view.filter}
            theme={theme}
          />
          {view.detailOpen ? (
            <DetailPanel lines={detailLines(selected, snapshot, detailRows)} theme={theme} />
          ) : null}
        </>
      )}
      <StatusLine view={view} note={probeNote(selected) ?? finishedNote(snapshot)} theme={theme} />
      {view.input ? <InputLine view={view} errorLines={errorLines} theme={theme} /> : null}
      <Footer width={width} theme={theme} />
    </Box>
  );
}
