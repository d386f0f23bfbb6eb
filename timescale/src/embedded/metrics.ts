/** Counters of the embedded server; `snapshot()` is what a metrics endpoint or log would export. */
export class EmbeddedMetrics {
  connectionsTotal = 0;
  connectionsActive = 0;
  authFailuresTotal = 0;
  transactionsTotal = 0;
  /** Time connections spent waiting for the engine lock, in milliseconds. */
  lockWaitMsTotal = 0;
  idleTransactionTimeoutsTotal = 0;
  refusedStatementsTotal = 0;
  copyRowsTotal = 0;
  copyBytesTotal = 0;
  /** WAL segment fsyncs done to make commits durable. */
  walFlushesTotal = 0;
  checkpointsTotal = 0;

  snapshot(): Record<string, number> {
    return {
      connections_total: this.connectionsTotal,
      connections_active: this.connectionsActive,
      auth_failures_total: this.authFailuresTotal,
      transactions_total: this.transactionsTotal,
      lock_wait_ms_total: this.lockWaitMsTotal,
      idle_transaction_timeouts_total: this.idleTransactionTimeoutsTotal,
      refused_statements_total: this.refusedStatementsTotal,
      copy_rows_total: this.copyRowsTotal,
      copy_bytes_total: this.copyBytesTotal,
      wal_flushes_total: this.walFlushesTotal,
      checkpoints_total: this.checkpointsTotal,
    };
  }
}
