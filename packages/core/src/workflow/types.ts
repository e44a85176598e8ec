import type { JsonValue } from '../contracts.js';
import type { MatrixSpec } from './matrix.js';

export interface WorkflowStep {
  uses: string;
  description?: string;
  needs?: string[];
  matrix?: MatrixSpec;
  with?: Record<string, JsonValue>;
  continueOnError?: boolean;
  /** Run the step only when these hold; otherwise its cells are recorded as skipped. */
  if?: StepCondition;
}

/** Requirements checked before a run starts (see engine/condition.ts). */
export interface StepCondition {
  assets?: string[];
  files?: string[];
  env?: string[];
}

export interface Workflow {
  $schema?: string;
  name?: string;
  description?: string;
  plugins?: string[];
  concurrency?: number;
  /** Named override sets selected with `--profile` (see workflow/profiles.ts). */
  profiles?: Record<string, { description?: string; set: Record<string, JsonValue> }>;
  steps: Record<string, WorkflowStep>;
}
