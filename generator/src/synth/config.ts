/** Options of the synthetic flow source. */
export interface SynthConfig {
  /** PRNG seed; the same seed and options give the same flows. Default 1. */
  seed: number;
  /** Share of flows that are IPv6, 0..1. Default 0.3. */
  ipv6Share: number;
  /** Exporter addresses; each flow is assigned to one at random. Default ["127.0.0.1"]. */
  exporters: string[];
  /** 1-in-N packet sampling rate reported for every flow. Default 1 (unsampled). */
  samplingRate: number;
  /** Time of the first flow in the schedule (ms since epoch). Default: now. */
  startMs: number;
  /** Schedule density: flow i is placed at startMs + i / flowsPerSecond. Default 1000. */
  flowsPerSecond: number;
  /**
   * Which flow time follows the schedule. "end": flows end (are exported) at
   * their scheduled time, as a live exporter sends them; "start": flows start
   * at their scheduled time, so ts is non-decreasing (backfill). Default "end".
   */
  timeAnchor: "end" | "start";
  /**
   * NetFlow v5 limits: AS numbers above 65535 are reported as AS_TRANS (23456),
   * as v5 exporters do; IPv6 is impossible (ipv6Share must be 0). Default false.
   */
  legacy16bit: boolean;
  /**
   * Every flow is one sampled packet (sFlow flow samples): packets = 1, no
   * flow end time, no AS numbers (raw headers carry none). Default false.
   */
  singlePacket: boolean;
  /**
   * Flow times are multiples of this many ms. pmacct 1.7.7 turns NetFlow v5/v9
   * sysUptime-relative times into whole seconds, so those senders use 1000 to
   * make what lands equal what was sent. Default 1.
   */
  timeResolutionMs: number;
  /** Internal hosts per address family. Default 500. */
  internalHosts: number;
  /** External hosts per address family. Default 5000. */
  externalHosts: number;
}

export function defaultSynthConfig(): SynthConfig {
  return {
    seed: 1,
    ipv6Share: 0.3,
    exporters: ["127.0.0.1"],
    samplingRate: 1,
    startMs: Date.now(),
    flowsPerSecond: 1000,
    timeAnchor: "end",
    legacy16bit: false,
    singlePacket: false,
    timeResolutionMs: 1,
    internalHosts: 500,
    externalHosts: 5000,
  };
}

export function validateSynthConfig(config: SynthConfig): SynthConfig {
  const problems: string[] = [];
  if (!Number.isInteger(config.seed)) problems.push(`seed must be an integer, got ${config.seed}`);
  if (!(config.ipv6Share >= 0 && config.ipv6Share <= 1))
    problems.push(`ipv6Share must be in [0, 1], got ${config.ipv6Share}`);
  if (config.legacy16bit && config.ipv6Share > 0)
    problems.push("NetFlow v5 cannot carry IPv6 flows: ipv6Share must be 0");
  if (config.exporters.length === 0) problems.push("at least one exporter is needed");
  if (!Number.isInteger(config.samplingRate) || config.samplingRate < 1 || config.samplingRate > 0xffffffff) {
    problems.push(`samplingRate must be an integer >= 1, got ${config.samplingRate}`);
  }
  if (!Number.isFinite(config.startMs)) problems.push("startMs must be a finite time");
  if (!(config.flowsPerSecond > 0)) problems.push(`flowsPerSecond must be > 0, got ${config.flowsPerSecond}`);
  if (!Number.isInteger(config.timeResolutionMs) || config.timeResolutionMs < 1) {
    problems.push(`timeResolutionMs must be an integer >= 1, got ${config.timeResolutionMs}`);
  }
  if (!(config.internalHosts >= 1 && config.externalHosts >= 1)) problems.push("host pools need at least one host");
  if (problems.length > 0) throw new Error(`invalid synthetic source config: ${problems.join("; ")}`);
  return config;
}
