import type { JsonValue } from '../contracts.js';
import type { MatrixSpec } from './matrix.js';

export interface WorkflowStep {
  uses: string;
  description?: string;
  needs?: string[];
  matrix?: MatrixSpec;
  with?: Record<string, JsonValue>;
  continueOnError?: boolean;
}

export interface Workflow {
  $schema?: string;
  name?: string;
  description?: string;
  plugins?: string[];
  concurrency?: number;
  steps: Record<string, WorkflowStep>;
}
