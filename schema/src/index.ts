export { columnByName, FLOW_COLUMNS, type FlowColumn, type IcebergType, type PgType, TIME_COLUMN } from "./columns.ts";
