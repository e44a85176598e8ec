import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  ExitCode, PerceptError, WorkflowValidationError, applyOverrides, isPlainObject, parseWorkflowSource, validateWorkflowText,
  type Registry, type Workflow,
} from '@percept/core';
import { createRegistry } from './registry.js';

export interface PreparedWorkflow {
  file: string;
  text: string;
  workflow: Workflow;
  registry: Registry;
  overrides: string[];
}

/** Reads, overrides, loads the plugins of, and validates a workflow file. Throws on any issue. */
export async function prepareWorkflow(path: string, args: { cwd: string; env: NodeJS.ProcessEnv; sets?: string[] }): Promise<PreparedWorkflow> {
  const file = resolve(args.cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new PerceptError(`Cannot read workflow ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`, {
      exitCode: ExitCode.usage,
    });
  }
  const overrides = args.sets ?? [];
  if (overrides.length) text = applyOverrides(text, overrides);
  const parsed = parseWorkflowSource(file, text);
  if (parsed.issues.length) throw new WorkflowValidationError(file, parsed.issues);
  const plugins = isPlainObject(parsed.value) && Array.isArray(parsed.value.plugins)
    ? (parsed.value.plugins as unknown[]).filter((p): p is string => typeof p === 'string')
    : [];
  const registry = await createRegistry({ cwd: args.cwd, workflowFile: file, workflowPlugins: plugins });
  const r = validateWorkflowText(file, text, registry, { env: args.env });
  if (!r.workflow) throw new WorkflowValidationError(file, r.issues);
  return { file, text, workflow: r.workflow, registry, overrides };
}
