import { describe, expect, it } from "vitest";
import { formatDate, formatInstant, formatWall } from "./values.ts";

/** Date's own ISO text of a millisecond instant, in the canonical form (no ".000"). */
function dateIso(ms: number): string {
  const iso = new Date(ms).toISOString().replace(".000Z", "Z");
  return iso.replace(/(\.\d*?)0+Z$/, "$1Z");
}

describe("timestamp formatting", () => {
  it("matches Date for random instants from year 1 to 9999, before and after 1970", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const lo = Date.UTC(1, 0, 1) + 0;
    const hi = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(lo + random() * (hi - lo));
      // Years below 1000 are padded to four digits by both; Date writes years 1-9999 as YYYY.
      expect(formatInstant(BigInt(ms) * 1000n), String(ms)).toBe(dateIso(ms));
    }
  });

  it("puts instants one microsecond either side of a day boundary on the right day", () => {
    for (const day of [-719_162, -1, 0, 1, 20_000, 100_000, 104_000]) {
      const edge = BigInt(day) * 86_400_000_000n;
      const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
      const before = new Date((day - 1) * 86_400_000).toISOString().slice(0, 10);
      expect(formatWall(edge)).toBe(`${date}T00:00:00`);
      expect(formatWall(edge + 1n)).toBe(`${date}T00:00:00.000001`);
      expect(formatWall(edge - 1n)).toBe(`${before}T23:59:59.999999`);
    }
  });

  it("writes the fraction without trailing zeros, days alternating as in unordered results", () => {
    const t = BigInt(Date.UTC(2026, 2, 1, 12, 34, 56)) * 1000n;
    const other = BigInt(Date.UTC(1969, 11, 31, 23, 59, 59)) * 1000n;
    expect(formatInstant(t + 120_000n)).toBe("2026-03-01T12:34:56.12Z");
    expect(formatInstant(other + 5n)).toBe("1969-12-31T23:59:59.000005Z");
    expect(formatInstant(t + 999_999n)).toBe("2026-03-01T12:34:56.999999Z");
    expect(formatInstant(other)).toBe("1969-12-31T23:59:59Z");
  });

  it("formats values beyond double precision exactly (the bigint path)", () => {
    // Just past 2^53 µs (June 2255, and 1684 backwards), on a whole second plus 1 µs.
    const us = (2n ** 53n / 1_000_000n + 1n) * 1_000_000n + 1n;
    const ms = Number(us / 1000n);
    expect(formatWall(us)).toBe(`${new Date(ms).toISOString().slice(0, 19)}.000001`);
    expect(formatWall(-us)).toBe(`${new Date(-ms - 1000).toISOString().slice(0, 19)}.999999`);
  });

  it("formats dates", () => {
    expect(formatDate(0)).toBe("1970-01-01");
    expect(formatDate(-1)).toBe("1969-12-31");
    expect(formatDate(20_513)).toBe(new Date(20_513 * 86_400_000).toISOString().slice(0, 10));
  });
});
