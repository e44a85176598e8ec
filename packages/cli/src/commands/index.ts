import type { CliCommand } from '../command.js';
import { reportCommand } from './report.js';
import { dataBappsFetchCommand } from './data-bapps-fetch.js';
import { dataSynth2afcCommand } from './data-synth-2afc.js';
import { distanceCommand } from './distance.js';
import { distortCommand } from './distort.js';
import { distortionsSheetCommand } from './distortions-sheet.js';
import { exportOnnxCommand } from './export-onnx.js';
import { modelsCommand } from './models.js';
import { pluginsCommand } from './plugins.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { validateCommand } from './validate.js';
import { workerCommand } from './worker.js';
import { watchCommand } from './watch.js';
import { dashboardCommand } from './dashboard.js';

/** Every `percept` sub-command. Add a command by adding its module here. */
export const commands: CliCommand[] = [
  reportCommand,
  runCommand,
  validateCommand,
  pluginsCommand,
  schemaCommand,
  dataBappsFetchCommand,
  distanceCommand,
  distortCommand,
  distortionsSheetCommand,
  dataSynth2afcCommand,
  exportOnnxCommand,
  modelsCommand,
  workerCommand,
  watchCommand,
  dashboardCommand,
];
