// Exports of the cleaning area: data hyper-cleaning on Fashion-MNIST, its kernels and the sample-weight structure.
export { DataCleaning, dataCleaning, DATA_CLEANING_STEPS, DEFAULT_C as DATA_CLEANING_DEFAULT_C } from './data-cleaning';
export type { DataCleaningOptions } from './data-cleaning';
export { bundledFashionMnistDir } from './bundled-fashion-mnist';
export { sampleWeightOracles } from './sample-weight-oracles';
export type { SampleWeightOracles } from './sample-weight-oracles';
export { pixelRows, pixelScaling, denseRow } from './pixel-rows';
export type { PixelRows, PixelScaling } from './pixel-rows';
export { CLASSES, foldScaling, batchLogits, batchLogits2, batchGradient, softmaxRows, softmaxHessianRows } from './softmax-kernels';
