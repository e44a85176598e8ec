export { BullmqEngine, type BullmqEngineOptions } from './engine.js';
export { startWorker, type RunningWorker, type WorkerOptions } from './worker.js';
export { openBroker, type Broker } from './broker.js';
export { runRemoteCell } from './remote-cell.js';
export { watchRun, type WatchOptions } from './watch.js';
export { serveDashboard, type DashboardServer } from './dashboard.js';
export * from './protocol.js';
export { plugin } from './plugin.js';
export { default } from './plugin.js';
