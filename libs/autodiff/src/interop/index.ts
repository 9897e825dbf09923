// The tfjs interop's public surface (no tfjs import: model files are read directly), re-exported from src/index.ts.
export { loadLayersModel, LAYERS_MODEL_DEFAULTS } from './load-layers-model';
export type { LoadLayersModelOptions } from './load-layers-model';
export type { BuildOptions, LayerSummary, LoadedLayersModel } from './layers-model';
export { SUPPORTED_ACTIVATIONS, SUPPORTED_LAYERS } from './layer-spec';
