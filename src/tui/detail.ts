/**
 * The detail panel's content for the selected probe: its latency histogram drawn as
 * bpftrace's hist(), the maps of its script, and the newest lines of the event log,
 * fitted into the rows the panel was given.
 */

import { histLines, percentileFromHist } from "../runtime/histogram.js";
import type { ProbeRow, SessionSnapshot } from "../trace/snapshot.js";
import { formatCount, formatDuration } from "./format.js";

export type Tone = "title" | "heading" | "body" | "dim";

export interface DetailLine {
  text: string;
  tone: Tone;
}

interface Section {
  heading: string;
  lines: string[];
  /** Keep the newest lines (the end) rather than the first ones when cut. */
  keepTail: boolean;
}

function latencySummaryLine(probe: ProbeRow): string {
  const latency = probe.latency;
  if (!latency) return "no latency for this probe";
  const p90 = percentileFromHist(latency.hist, 90, latency.max);
  const estimated = p90 === undefined ? "" : `  ~p90 ${formatDuration(p90)}`;
  return (
    `count ${formatCount(latency.count)}  p50 ${formatDuration(latency.p50)}` +
    `${estimated}  p99 ${formatDuration(latency.p99)}  max ${formatDuration(latency.max)}`
  );
}

function sectionsFor(probe: ProbeRow, snapshot: SessionSnapshot): Section[] {
  const latencyLines = probe.latency ? histLines(probe.latency.hist) : [];
  const mapLines = snapshot.maps
    .filter((dump) => dump.script === probe.script)
    .flatMap((dump) => dump.text.replace(/\n+$/, "").split("\n"));
  const latency: Section[] = probe.latency
    ? [{ heading: "latency (ns)", lines: latencyLines, keepTail: false }]
    : [];
  return [
    ...latency,
    { heading: `maps of ${probe.script}`, lines: mapLines, keepTail: false },
    { heading: "events", lines: snapshot.eventLog, keepTail: true },
  ];
}

/**
 * Gives each section a fair share of `budget` lines: sections that need less than their
 * share hand the rest to the others, so a short map list leaves room for the histogram.
 */
function shareLines(sections: readonly Section[], budget: number): number[] {
  const wants = sections.map((section) => 1 + Math.max(1, section.lines.length));
  const given = sections.map(() => 0);
  let left = budget;
  let open = sections.map((_, index) => index);
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const index of open) {
      const take = Math.min(share, wants[index] - given[index], left);
      given[index] += take;
      left -= take;
    }
    open = open.filter((index) => given[index] < wants[index]);
  }
  return given;
}

function cutSection(section: Section, rows: number): DetailLine[] {
  if (rows <= 0) return [];
  const body = section.lines.length === 0 ? ["(none)"] : section.lines;
  const room = rows - 1;
  // slice(-0) would keep everything, so the tail is cut from an explicit start.
  const shown =
    body.length <= room ? body : section.keepTail ? body.slice(body.length - room) : body.slice(0, room);
  const tone: Tone = section.lines.length === 0 ? "dim" : "body";
  return [{ text: section.heading, tone: "heading" }, ...shown.map((text) => ({ text, tone }))];
}

/** The panel's lines for `probe`, at most `rows` of them. */
export function detailLines(
  probe: ProbeRow | undefined,
  snapshot: SessionSnapshot,
  rows: number,
): DetailLine[] {
  if (rows <= 0) return [];
  if (!probe) return [{ text: "no probe selected", tone: "dim" }];
  const title: DetailLine = {
    text: `probe ${probe.id}  ${probe.spec}  [${probe.state}]  script ${probe.script}`,
    tone: "title",
  };
  const summary: DetailLine = { text: latencySummaryLine(probe), tone: "body" };
  const head = [title, summary].slice(0, rows);
  if (probe.state === "error" && probe.error && rows > head.length) {
    head.push({ text: probe.error, tone: "body" });
  }
  const sections = sectionsFor(probe, snapshot);
  const shares = shareLines(sections, rows - head.length);
  return [...head, ...sections.flatMap((section, index) => cutSection(section, shares[index]))];
}
