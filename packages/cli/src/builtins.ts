import { corePlugin, type Plugin } from '@percept/core';
import images from '@percept/images';
import backbones from '@percept/backbones';
import backendOnnx from '@percept/backend-onnx';
import backendTfjs from '@percept/backend-tfjs';
import metrics from '@percept/metrics';
import datasetBapps from '@percept/dataset-bapps';
import datasetImagenet from '@percept/dataset-imagenet';
import distortions from '@percept/distortions';
import training from '@percept/training';
import report from '@percept/report';

/** The plugins every `percept` run starts with; workflows and percept.config.json may add more. */
export const builtinPlugins: Plugin[] = [
  corePlugin, images, backbones, backendOnnx, backendTfjs, metrics, datasetBapps, datasetImagenet, distortions, training, report,
];
