export { OnnxBackend, OnnxFeatureExtractor } from './backend.js';
export {
  compileIR, compileModelSpec, emitPreprocessing, hasNormalisation, ONNX_OPSET, ONNX_IR_VERSION, INPUT_NAME,
  type CompileOptions, type CompiledModel, type CompiledOutput,
} from './compile.js';
export { parseOnnx, readOnnxFile, resolveTaps, tapOnnxModel, GraphIndex, type TappedOnnxModel } from './file-model.js';
export { findQuantParams, dequantize, type QuantParams } from './quant.js';
export { openSession, supportedProviders, engineVersion, type OnnxSessionOptions, type GraphOptimizationLevel } from './session.js';
export { exportOnnx, writeFileAtomic, type ExportOnnxOptions, type ExportOnnxResult } from './export.js';
export * from './proto/onnx.js';
export { ProtoWriter, readFields, readVarint, WireError, type Int64 } from './proto/wire.js';
export { onnxBackendOptionsSchema, parseOnnxBackendOptions } from './plugin.js';
export { plugin } from './plugin.js';
import { plugin } from './plugin.js';
export default plugin;
