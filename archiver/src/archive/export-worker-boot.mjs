// Entry of the export worker thread: registers tsx's loader in this thread
// (loaders are per thread, and test runners do not pass theirs on), then runs
// the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./export-worker.ts");
