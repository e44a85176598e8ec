/**
 * The run-directory reader moved to @percept/metrics (run-artifacts.ts) so jobs that gather upstream
 * steps' results (pareto's `from`) read runs exactly as the report does; re-exported here.
 */
export { readRun, cellLabel, matrixValuesAgree, findAccuracyPercent, MANIFEST_FILE, RESULT_FILE, CELL_FILE } from '@percept/metrics';
export type { RunProvenance, StepView, RunView, ReadRunOptions } from '@percept/metrics';
