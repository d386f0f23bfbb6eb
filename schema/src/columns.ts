/**
 * The flow-column catalog: every column of a flow record, declared once.
 *
 * The TimescaleDB DDL (checked by a test against the migrations), the pmacct
 * configuration, the Iceberg schema and the query gateway's column list are all
 * generated from, or checked against, this list. Field ids are Iceberg field ids:
 * they are stable forever. Never renumber or reuse one; a new column takes the
 * next free id, and a dropped column's id stays retired.
 */

/** Postgres types used by the hot tier. Postgres has no unsigned integers, so
 * unsigned 32-bit wire values (interfaces, AS numbers) and 64-bit counters are
 * stored as bigint; counters above 2^63-1 cannot be represented and are
 * refused by the database rather than wrapped. */
export type PgType = "timestamptz" | "inet" | "bigint" | "integer" | "smallint" | "boolean";

/** Iceberg primitive types used by the cold tier. */
export type IcebergType = "timestamptz" | "binary" | "long" | "int" | "boolean";

export interface FlowColumn {
  /** Column name in the `flows` hypertable, the Iceberg table and the gateway. */
  readonly name: string;
  readonly pgType: PgType;
  readonly nullable: boolean;
  /** Iceberg field id: stable, unique, never reused. */
  readonly fieldId: number;
  readonly icebergType: IcebergType;
  /**
   * How pmacct fills this column: the aggregate primitive to enable and the
   * column name pmacct's SQL plugin writes it to (pmacct fixes those names).
   * Null for columns computed at ingest (not written by pmacct).
   */
  readonly pmacct: { readonly primitive: string; readonly column: string } | null;
  readonly doc: string;
}

/** The time column: the flow's start time as reported by the exporter. */
export const TIME_COLUMN = "ts";

export const FLOW_COLUMNS: readonly FlowColumn[] = [
  {
    name: "ts",
    pgType: "timestamptz",
    nullable: false,
    fieldId: 1,
    icebergType: "timestamptz",
    pmacct: { primitive: "timestamp_start", column: "timestamp_start" },
    doc: "Flow start time from the exporter (millisecond resolution). For sFlow, which carries no flow times, the arrival time at the collector. Clamped to the arrival time when the exporter clock is further off than the ingest skew window (see ts_clamped).",
  },
  {
    name: "ts_end",
    pgType: "timestamptz",
    nullable: true,
    fieldId: 2,
    icebergType: "timestamptz",
    pmacct: { primitive: "timestamp_end", column: "timestamp_end" },
    doc: "Flow end time from the exporter; null for sFlow samples. Shifted by the same amount as ts when ts was clamped.",
  },
  {
    name: "exporter",
    pgType: "inet",
    nullable: false,
    fieldId: 3,
    icebergType: "binary",
    pmacct: { primitive: "peer_src_ip", column: "peer_ip_src" },
    doc: "Address of the exporting device (the NetFlow/IPFIX packet source or the sFlow agent address).",
  },
  {
    name: "in_if",
    pgType: "bigint",
    nullable: true,
    fieldId: 4,
    icebergType: "long",
    pmacct: { primitive: "in_iface", column: "iface_in" },
    doc: "Input interface SNMP ifIndex (unsigned 32-bit on the wire).",
  },
  {
    name: "out_if",
    pgType: "bigint",
    nullable: true,
    fieldId: 5,
    icebergType: "long",
    pmacct: { primitive: "out_iface", column: "iface_out" },
    doc: "Output interface SNMP ifIndex (unsigned 32-bit on the wire).",
  },
  {
    name: "src_addr",
    pgType: "inet",
    nullable: true,
    fieldId: 6,
    icebergType: "binary",
    pmacct: { primitive: "src_host", column: "ip_src" },
    doc: "Source IP address (IPv4 or IPv6).",
  },
  {
    name: "dst_addr",
    pgType: "inet",
    nullable: true,
    fieldId: 7,
    icebergType: "binary",
    pmacct: { primitive: "dst_host", column: "ip_dst" },
    doc: "Destination IP address (IPv4 or IPv6).",
  },
  {
    name: "src_port",
    pgType: "integer",
    nullable: true,
    fieldId: 8,
    icebergType: "int",
    pmacct: { primitive: "src_port", column: "port_src" },
    doc: "Source transport port (0 when the protocol has none).",
  },
  {
    name: "dst_port",
    pgType: "integer",
    nullable: true,
    fieldId: 9,
    icebergType: "int",
    pmacct: { primitive: "dst_port", column: "port_dst" },
    doc: "Destination transport port (0 when the protocol has none; ICMP type/code for some exporters).",
  },
  {
    name: "proto",
    pgType: "smallint",
    nullable: true,
    fieldId: 10,
    icebergType: "int",
    pmacct: { primitive: "proto", column: "ip_proto" },
    doc: "IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...).",
  },
  {
    name: "tos",
    pgType: "smallint",
    nullable: true,
    fieldId: 11,
    icebergType: "int",
    pmacct: { primitive: "tos", column: "tos" },
    doc: "IP type of service / traffic class byte (DSCP << 2 | ECN).",
  },
  {
    name: "tcp_flags",
    pgType: "smallint",
    nullable: true,
    fieldId: 12,
    icebergType: "int",
    pmacct: { primitive: "tcpflags", column: "tcp_flags" },
    doc: "Cumulative OR of the TCP flags seen in the flow.",
  },
  {
    name: "packets",
    pgType: "bigint",
    nullable: false,
    fieldId: 13,
    icebergType: "long",
    pmacct: { primitive: "packets", column: "packets" },
    doc: "Packets as reported by the exporter (not renormalized; multiply by sampling_rate, or use the flows_estimated view).",
  },
  {
    name: "bytes",
    pgType: "bigint",
    nullable: false,
    fieldId: 14,
    icebergType: "long",
    pmacct: { primitive: "bytes", column: "bytes" },
    doc: "Layer-3 bytes as reported by the exporter (not renormalized). At most 2^63-1.",
  },
  {
    name: "src_as",
    pgType: "bigint",
    nullable: true,
    fieldId: 15,
    icebergType: "long",
    pmacct: { primitive: "src_as", column: "as_src" },
    doc: "Source autonomous system number (unsigned 32-bit) as reported by the exporter.",
  },
  {
    name: "dst_as",
    pgType: "bigint",
    nullable: true,
    fieldId: 16,
    icebergType: "long",
    pmacct: { primitive: "dst_as", column: "as_dst" },
    doc: "Destination autonomous system number (unsigned 32-bit) as reported by the exporter.",
  },
  {
    name: "sampling_rate",
    pgType: "bigint",
    nullable: false,
    fieldId: 17,
    icebergType: "long",
    pmacct: { primitive: "sampling_rate", column: "sampling_rate" },
    doc: "1-in-N packet sampling rate the exporter applied; 1 when unsampled (a reported 0 is stored as 1).",
  },
  {
    name: "ts_clamped",
    pgType: "boolean",
    nullable: false,
    fieldId: 18,
    icebergType: "boolean",
    pmacct: null,
    doc: "True when the exporter's flow start was further from the arrival time than the ingest skew window and ts was replaced by the arrival time.",
  },
];

export function columnByName(name: string): FlowColumn {
  const column = FLOW_COLUMNS.find((c) => c.name === name);
  if (column === undefined) {
    throw new Error(`unknown flow column "${name}"; known columns: ${FLOW_COLUMNS.map((c) => c.name).join(", ")}`);
  }
  return column;
}
