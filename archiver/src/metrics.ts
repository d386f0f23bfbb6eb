/**
 * The archiver's metrics, rendered in the Prometheus text format by
 * `render()` (served by `worker` on ARCHIVER_METRICS_PORT).
 */
export class ArchiverMetrics {
  rowsArchivedTotal = 0;
  bytesWrittenTotal = 0;
  chunksArchivedTotal = 0;
  jobsFailedTotal = 0;
  /** Aborted commits because rows arrived after the export (retried). */
  chunkChangedTotal = 0;
  /** Sum and count of archive job durations, seconds. */
  jobSecondsSum = 0;
  jobSecondsCount = 0;
  /** Sum of commit-transaction durations, seconds (how long the hot engine was held). */
  commitTxSecondsSum = 0;
  /** Age in seconds of the oldest chunk eligible for archiving and not archived (0 when none). */
  lagSeconds = 0;
  /** Bytes of all hot chunks (heap, indexes, compressed). */
  hotBytes = 0;
  hotChunks = 0;
  /** 1 while the hot tier is larger than HOT_SIZE_WARN_BYTES. */
  hotSizeWarning = 0;

  observeJob(seconds: number, rows: number, bytes: number, commitTxMs: number | undefined): void {
    this.jobSecondsSum += seconds;
    this.jobSecondsCount++;
    this.rowsArchivedTotal += rows;
    this.bytesWrittenTotal += bytes;
    if (rows > 0) this.chunksArchivedTotal++;
    if (commitTxMs !== undefined) this.commitTxSecondsSum += commitTxMs / 1000;
  }

  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: "counter" | "gauge", help: string, value: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    metric(
      "netflow_archiver_rows_archived_total",
      "counter",
      "Flow rows moved to the Iceberg table.",
      this.rowsArchivedTotal,
    );
    metric(
      "netflow_archiver_bytes_written_total",
      "counter",
      "Parquet bytes written for archived chunks.",
      this.bytesWrittenTotal,
    );
    metric(
      "netflow_archiver_chunks_archived_total",
      "counter",
      "Hot chunks archived and dropped.",
      this.chunksArchivedTotal,
    );
    metric("netflow_archiver_job_failures_total", "counter", "Archive job attempts that failed.", this.jobsFailedTotal);
    metric(
      "netflow_archiver_chunk_changed_total",
      "counter",
      "Commits aborted because flows arrived after the export.",
      this.chunkChangedTotal,
    );
    lines.push(
      "# HELP netflow_archiver_job_duration_seconds Archive job durations.",
      "# TYPE netflow_archiver_job_duration_seconds summary",
      `netflow_archiver_job_duration_seconds_sum ${this.jobSecondsSum}`,
      `netflow_archiver_job_duration_seconds_count ${this.jobSecondsCount}`,
    );
    metric(
      "netflow_archiver_commit_tx_seconds_total",
      "counter",
      "Time spent inside commit transactions.",
      this.commitTxSecondsSum,
    );
    metric(
      "netflow_archiver_lag_seconds",
      "gauge",
      "Age of the oldest eligible chunk not archived yet.",
      this.lagSeconds,
    );
    metric("netflow_archiver_hot_bytes", "gauge", "Size of the hot tier's chunks.", this.hotBytes);
    metric("netflow_archiver_hot_chunks", "gauge", "Number of hot chunks.", this.hotChunks);
    metric(
      "netflow_archiver_hot_size_warning",
      "gauge",
      "1 while the hot tier exceeds HOT_SIZE_WARN_BYTES.",
      this.hotSizeWarning,
    );
    return `${lines.join("\n")}\n`;
  }
}
