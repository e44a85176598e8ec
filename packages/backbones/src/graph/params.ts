/**
 * The parameters a node reads, derived from the node itself, so that builders never hand-write
 * parameter lists (and can never disagree with what a backend will look up).
 */
import type { IRGraph, IRNode, ParamSpec } from '../ir.js';

/** Parameters read by one node, in torchvision state-dict order. */
export function nodeParams(node: IRNode): ParamSpec[] {
  switch (node.op) {
    case 'conv2d': {
      const [kh, kw] = node.kernel;
      const out: ParamSpec[] = [
        { name: `${node.param}.weight`, shape: [node.outChannels, node.inChannels / node.groups, kh, kw], role: 'weight' },
      ];
      if (node.bias) out.push({ name: `${node.param}.bias`, shape: [node.outChannels], role: 'bias' });
      return out;
    }
    case 'batchnorm':
      return [
        { name: `${node.param}.weight`, shape: [node.channels], role: 'bn-weight' },
        { name: `${node.param}.bias`, shape: [node.channels], role: 'bn-bias' },
        { name: `${node.param}.running_mean`, shape: [node.channels], role: 'bn-mean' },
        { name: `${node.param}.running_var`, shape: [node.channels], role: 'bn-var' },
        // A 0-d tensor in PyTorch checkpoints; inference never reads it.
        { name: `${node.param}.num_batches_tracked`, shape: [], role: 'bn-count', optional: true },
      ];
    case 'dense': {
      const out: ParamSpec[] = [{ name: `${node.param}.weight`, shape: [node.outFeatures, node.inFeatures], role: 'weight' }];
      if (node.bias) out.push({ name: `${node.param}.bias`, shape: [node.outFeatures], role: 'bias' });
      return out;
    }
    case 'layernorm':
      // Normalisation scale/offset: same initialisation as batch-norm's affine parameters (1 and 0).
      return [
        { name: `${node.param}.weight`, shape: [node.features], role: 'bn-weight' },
        { name: `${node.param}.bias`, shape: [node.features], role: 'bn-bias' },
      ];
    case 'attention':
      return [
        { name: `${node.param}.in_proj_weight`, shape: [3 * node.dim, node.dim], role: 'weight' },
        { name: `${node.param}.in_proj_bias`, shape: [3 * node.dim], role: 'bias' },
        { name: `${node.param}.out_proj.weight`, shape: [node.dim, node.dim], role: 'weight' },
        { name: `${node.param}.out_proj.bias`, shape: [node.dim], role: 'bias' },
      ];
    case 'patchembed':
      return [
        { name: `${node.param}.weight`, shape: [node.dim, node.inChannels, node.patch, node.patch], role: 'weight' },
        { name: `${node.param}.bias`, shape: [node.dim], role: 'bias' },
      ];
    case 'classtoken':
      return [{ name: node.param, shape: [1, 1, node.dim], role: 'embedding' }];
    case 'posembed':
      return [{ name: node.param, shape: [1, node.tokens, node.dim], role: 'embedding' }];
    default:
      return [];
  }
}

/**
 * Every parameter the nodes read, in node order, each once. Two nodes may share a parameter only
 * if they agree on its shape; otherwise the graph is inconsistent and this throws.
 */
export function collectParams(nodes: readonly IRNode[]): ParamSpec[] {
  const seen = new Map<string, ParamSpec>();
  for (const node of nodes) {
    for (const p of nodeParams(node)) {
      const prev = seen.get(p.name);
      if (prev) {
        if (!sameShape(prev.shape, p.shape)) {
          throw new Error(`collectParams: parameter "${p.name}" is read with shape [${prev.shape}] and, by node "${node.id}", with shape [${p.shape}]`);
        }
        continue;
      }
      seen.set(p.name, p);
    }
  }
  return [...seen.values()];
}

/** Parameters of a graph as a name -> spec map. */
export function paramIndex(graph: Pick<IRGraph, 'params'>): Map<string, ParamSpec> {
  return new Map(graph.params.map((p) => [p.name, p]));
}

/** Total number of scalar parameters (optional ones excluded). */
export function countParams(graph: Pick<IRGraph, 'params'>): number {
  let n = 0;
  for (const p of graph.params) if (!p.optional) n += p.shape.reduce((a, b) => a * b, 1);
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
