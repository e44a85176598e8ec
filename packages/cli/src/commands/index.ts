import type { CliCommand } from '../command.js';
import { reportCommand } from './report.js';
import { dataBappsFetchCommand } from './data-bapps-fetch.js';

/** Every `percept` sub-command. Add a command by adding its module here. */
export const commands: CliCommand[] = [
  reportCommand,
  dataBappsFetchCommand,
];
