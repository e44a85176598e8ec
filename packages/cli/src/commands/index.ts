import type { LazyCliCommand } from '../command.js';

/**
 * Every `percept` sub-command, loaded when it runs. Add a command by writing its module and
 * listing it here (cli.test.ts checks that each entry loads a command of the same name).
 */
export const commands: LazyCliCommand[] = [
  { name: 'run', summary: 'Validate and run a workflow (resumable, cached)', load: async () => (await import('./run.js')).runCommand },
  { name: 'validate', summary: 'Check workflow files without running them', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'report', summary: 'Rebuild HTML/Markdown/PNG reports from a run directory', load: async () => (await import('./report.js')).reportCommand },
  { name: 'plugins', summary: 'List registered backends, backbones, datasets, distances, jobs, …', load: async () => (await import('./plugins.js')).pluginsCommand },
  { name: 'schema', summary: 'Write the workflow JSON Schema for editors', load: async () => (await import('./schema.js')).schemaCommand },
  { name: 'data bapps fetch', summary: 'Download and unpack the BAPPS 2AFC/JND dataset (resumable)', load: async () => (await import('./data-bapps-fetch.js')).dataBappsFetchCommand },
  {
    name: 'data synth-2afc', summary: 'Write a synthetic BAPPS-layout 2AFC/JND dataset (judges from distortion severities, not humans)',
    load: async () => (await import('./data-synth-2afc.js')).dataSynth2afcCommand,
  },
  {
    name: 'distance', summary: 'Perceptual distance (LPIPS, PS distance, pixel metrics) between two images or two folders',
    load: async () => (await import('./distance.js')).distanceCommand,
  },
  { name: 'distort', summary: 'Apply a BAPPS-style distortion (blur, noise, jpeg, warps, ...) to an image', load: async () => (await import('./distort.js')).distortCommand },
  {
    name: 'distortions sheet', summary: 'Render every distortion at 3 severities on one image as a labelled PNG grid',
    load: async () => (await import('./distortions-sheet.js')).distortionsSheetCommand,
  },
  { name: 'export onnx', summary: 'Compile a backbone (with its weights) to a standalone ONNX file', load: async () => (await import('./export-onnx.js')).exportOnnxCommand },
  { name: 'models', summary: 'List, describe and download model-zoo weights (verified, resumable)', load: async () => (await import('./models.js')).modelsCommand },
  { name: 'worker', summary: 'Run cells of bullmq-engine workflows on this machine', load: async () => (await import('./worker.js')).workerCommand },
  { name: 'watch', summary: 'Stream the progress of a (possibly remote-executed) run', load: async () => (await import('./watch.js')).watchCommand },
  { name: 'dashboard', summary: 'Serve the bull-board dashboard for the bullmq engine on 127.0.0.1', load: async () => (await import('./dashboard.js')).dashboardCommand },
];
