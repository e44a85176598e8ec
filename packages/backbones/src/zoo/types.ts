/** The shape of a model-zoo entry: where an official file comes from and how to check and use it. */

/** A file name under PERCEPT_ASSETS where the entry (or a conversion of it) may be found offline. */
export interface ZooLocalName {
  /** Relative to PERCEPT_ASSETS, e.g. `weights/alexnet-features.safetensors`. */
  path: string;
  /**
   * True when this is byte-for-byte the official file, so the entry's hash is checked. Converted
   * copies (e.g. safetensors made from a .pth) have their own bytes and are not hash-checked.
   */
  official?: boolean;
  /** The file holds only the trunk (e.g. `features.*`): usable only when the backbone has no head. */
  trunkOnly?: boolean;
  note?: string;
}

export interface ZooArchitecture {
  /** The registered backbone that reads this checkpoint, or null when none does (fetch only). */
  backbone: string | null;
  /** Backbone options this checkpoint was trained with. */
  options?: Record<string, unknown>;
  note?: string;
}

export interface ZooEntry {
  /** Stable id, `<source>/<name>`, e.g. `torchvision/alexnet`. Also the cache sub-folder. */
  id: string;
  /** Which release of the weights, e.g. torchvision's enum name `IMAGENET1K_V1`. */
  version: string;
  aliases: string[];
  description: string;
  /** Official download URL; null for a local-only entry (no official URL serves the exact file). */
  url: string | null;
  /** File name in the cache (default: the URL's last path segment). */
  fileName: string;
  /**
   * Expected sha256: 64 hex digits, or the prefix torchvision embeds in its file names (the first
   * 8 hex digits of the sha256). null when no hash could be verified; `hashNote` says why.
   */
  sha256: string | null;
  hashNote?: string;
  /** Size in bytes, when known. */
  size?: number;
  license: string;
  format: 'pytorch-zip' | 'pytorch-legacy' | 'safetensors' | 'onnx';
  /** What the file is: backbone weights, LPIPS linear calibration, or a complete model file. */
  kind: 'weights' | 'lpips-lin' | 'model-file';
  architecture: ZooArchitecture;
  /** Preprocessing preset name (see `preprocessingPresets`) the weights expect. */
  preprocessing: string;
  /** Tap names the project uses with this checkpoint (shallow to deep). */
  taps: string[];
  /** How to take the trunk out of the full checkpoint (when the backbone is built without its head). */
  trunk?: { select?: string; ignore?: string[] };
  localNames: ZooLocalName[];
  notes?: string;
}
