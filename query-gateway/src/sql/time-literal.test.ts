// Literal parsing and zone conversion against hand-checked values (Date.parse with explicit
// offsets as the reference).
import { describe, expect, it } from "vitest";
import { parseIntervalText, parseTimestampText } from "./time-literal.ts";
import { fromLocal, toLocal } from "./timezone.ts";

const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;

describe("timestamp literals", () => {
  it.each([
    ["2026-01-01", us("2026-01-01T00:00:00Z"), null],
    ["2026-01-01 10:20", us("2026-01-01T10:20:00Z"), null],
    ["2026-01-01T10:20:30.5", us("2026-01-01T10:20:30.500Z"), null],
    ["2026-01-01 10:20:30.1234567", us("2026-01-01T10:20:30Z") + 123457n, null],
    ["2026-01-01 10:00+02", us("2026-01-01T10:00:00Z"), { offsetSeconds: 7200 }],
    ["2026-01-01 10:00:00 -05:30", us("2026-01-01T10:00:00Z"), { offsetSeconds: -19800 }],
    ["2026-01-01T10:00:00Z", us("2026-01-01T10:00:00Z"), { offsetSeconds: 0 }],
    ["2026-01-01 10:00 Europe/Paris", us("2026-01-01T10:00:00Z"), { name: "Europe/Paris" }],
    ["2026-01-01 24:00", us("2026-01-02T00:00:00Z"), null],
  ])("%s", (text, localUs, zone) => {
    expect(parseTimestampText(text)).toEqual({ localUs, zone });
  });

  it.each(["2026-02-30", "2026-13-01", "Jan 1 2026", "2026-01-01 10:00 CET", "infinity", "garbage"])(
    "does not pretend to understand %s",
    (text) => {
      expect(parseTimestampText(text)).toBeNull();
    },
  );

  it("knows the special words", () => {
    expect(parseTimestampText(" Now ")).toBe("now");
    expect(parseTimestampText("yesterday")).toBe("yesterday");
    expect(parseTimestampText("epoch")).toBe("epoch");
  });
});

describe("interval literals", () => {
  it.each([
    ["7 days", { months: 0, days: 7, us: 0n }],
    ["1 day 02:30:00", { months: 0, days: 1, us: 9_000_000_000n }],
    ["-1 hour", { months: 0, days: 0, us: -3_600_000_000n }],
    ["1 hour 30 minutes", { months: 0, days: 0, us: 5_400_000_000n }],
    ["2 weeks", { months: 0, days: 14, us: 0n }],
    ["1 year 2 mons", { months: 14, days: 0, us: 0n }],
    ["1.5 days", { months: 0, days: 1, us: 43_200_000_000n }],
    ["90", { months: 0, days: 0, us: 90_000_000n }],
    ["5min", { months: 0, days: 0, us: 300_000_000n }],
    ["@ 3 days ago", { months: 0, days: -3, us: 0n }],
  ])("%s", (text, expected) => {
    expect(parseIntervalText(text)).toEqual(expected);
  });

  it.each(["", "seven days", "1 fortnight"])("refuses %j", (text) => {
    expect(parseIntervalText(text)).toBeNull();
  });
});

describe("time zones", () => {
  it.each([
    // [zone, local wall time (as if UTC), instant]
    ["Europe/Paris", "2026-01-15T12:00:00Z", "2026-01-15T12:00:00+01:00"],
    ["Europe/Paris", "2026-07-15T12:00:00Z", "2026-07-15T12:00:00+02:00"],
    ["Asia/Kolkata", "2026-07-15T12:00:00Z", "2026-07-15T12:00:00+05:30"],
    // A skipped wall time takes the offset before the transition (Postgres' rule) ...
    ["America/New_York", "2026-03-08T02:30:00Z", "2026-03-08T02:30:00-05:00"],
    // ... and a repeated one the offset after it.
    ["America/New_York", "2026-11-01T01:30:00Z", "2026-11-01T01:30:00-05:00"],
    ["Europe/Paris", "2026-10-25T02:30:00Z", "2026-10-25T02:30:00+01:00"],
  ])("%s %s", (zone, wall, instant) => {
    expect(fromLocal(zone, us(wall))).toBe(us(instant));
  });

  it("round-trips outside transitions and refuses unknown zones", () => {
    const t = us("2026-05-05T05:05:05.123Z") + 456n;
    expect(toLocal("Australia/Lord_Howe", t)).not.toBeNull();
    expect(fromLocal("Australia/Lord_Howe", toLocal("Australia/Lord_Howe", t) ?? 0n)).toBe(t);
    expect(toLocal("Mars/Olympus_Mons", t)).toBeNull();
  });
});
