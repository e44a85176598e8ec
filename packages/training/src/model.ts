/**
 * A classifier being trained: the IR graph compiled by @percept/backend-tfjs in training mode,
 * with the classifier head (the graph's final dense layer) run here so that "dropout before the
 * classifier" (SPEC §3.2) applies to its input. Every dropout mask, the head's and those of the
 * graph's own dropout nodes (a ViT's encoder dropout, AlexNet's classifier), is a pure function of
 * (seed, step, node), so runs are reproducible and a resumed run redraws the same masks.
 */
import { tf, compileGraph, dropoutMaskValues, type CompiledModel } from '@percept/backend-tfjs';
import { InputError } from '@percept/core';
import { SeededRandom, type IRGraph, type WeightMap, type WeightTensor } from '@percept/backbones';

export class TrainableClassifier {
  readonly compiled: CompiledModel;
  /** Trainable variables by PyTorch parameter name. */
  readonly variables: Map<string, tf.Variable>;
  readonly classes: number;
  private readonly featureNode: string;
  private readonly headWeight: string;
  private readonly headBias: string | undefined;

  constructor(readonly graph: IRGraph, weights: WeightMap, readonly headDropout: number, readonly seed: number) {
    if (!graph.logits) throw new InputError(`model "${graph.name}" has no classifier head; training needs one (set "classes" ≥ 1)`);
    const head = graph.nodes.find((n) => n.id === graph.logits);
    if (!head || head.op !== 'dense') {
      throw new InputError(`model "${graph.name}": the logits node "${graph.logits}" is ${head ? `a ${head.op}` : 'missing'}; training expects a dense classifier head`);
    }
    if (!(headDropout >= 0 && headDropout < 1)) throw new InputError(`dropout must be in [0, 1), got ${headDropout}`);
    this.featureNode = head.inputs[0];
    this.headWeight = `${head.param}.weight`;
    this.headBias = head.bias ? `${head.param}.bias` : undefined;
    this.classes = head.outFeatures;
    this.compiled = compileGraph(graph, weights, { training: true });
    this.variables = new Map();
    for (const [name, t] of this.compiled.params) if (t instanceof tf.Variable && t.trainable) this.variables.set(name, t);
  }

  /** Logits for a normalised NHWC batch. `step` seeds the dropout masks in training mode; inference has no dropout. */
  logits(x: tf.Tensor4D, training: boolean, step = 0): tf.Tensor2D {
    return tf.tidy(() => {
      const dropoutSeed = training ? { seed: this.seed, stream: `dropout:${step}` } : undefined;
      let h = this.compiled.run(x, [this.featureNode], { training, dropoutSeed })[this.featureNode] as tf.Tensor2D;
      if (training && this.headDropout > 0) h = tf.mul(h, this.dropoutMask(h.shape as [number, number], step));
      const w = this.compiled.params.get(this.headWeight) as tf.Tensor2D;
      const y = tf.matMul(h, w);
      return (this.headBias ? tf.add(y, this.compiled.params.get(this.headBias)!) : y) as tf.Tensor2D;
    });
  }

  /** Inverted dropout: kept units are scaled by 1/(1−rate), so inference needs no rescaling. */
  private dropoutMask(shape: [number, number], step: number): tf.Tensor2D {
    const rng = new SeededRandom(this.seed, `dropout:${step}`);
    return tf.tensor2d(dropoutMaskValues(shape[0] * shape[1], this.headDropout, rng), shape);
  }

  /** Current weights in PyTorch layout under torchvision names (running statistics included). */
  exportWeights(): Promise<Map<string, WeightTensor>> {
    return this.compiled.exportWeights();
  }

  dispose(): void {
    this.compiled.dispose();
  }
}

/**
 * Softmax cross-entropy with label smoothing as tf.losses.softmax_cross_entropy applies it:
 * targets (1−ε)·onehot + ε/K, averaged over the batch.
 */
export function smoothedCrossEntropy(logits: tf.Tensor2D, labels: Int32Array, smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), k).toFloat();
    const target = smoothing > 0 ? tf.add(tf.mul(onehot, 1 - smoothing), smoothing / k) : onehot;
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}
